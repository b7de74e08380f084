//  zs_show - see zs_show.h

#include "ctl/zs_show.h"

#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#define ZS_SHOW_CELL_MAX   256  //  one value or table cell, sanitised, with NUL
#define ZS_SHOW_SAMPLE_MAX 80   //  bytes of task output shown by `task`, sanitised

//  Writes one value of reply into cell; returns false when the reply lacks it. offset
//  locates the field for rows that share a function.
typedef bool (*s_value_fn)(const zs_msg_t *reply, size_t offset, char *cell, size_t size);

//  One "key: value" line
typedef struct {
    const char *key;   //  shown before the colon
    s_value_fn value;  //  renders the value
    size_t offset;     //  offsetof the zs_msg_t field, for s_u64 and friends
} s_row_t;

//  Sanitised copy of wire text, "-" for an absent one
static void
s_text(char *cell, size_t size, const char *text)
{
    if (!text) {
        snprintf(cell, size, "-");
        return;
    }
    zs_sanitize(cell, size, text, strlen(text));
}

static const char *
s_string_at(const zs_msg_t *reply, size_t offset)
{
    const char *text;
    memcpy(&text, (const char *) reply + offset, sizeof text);
    return text;
}

static uint64_t
s_u64_at(const zs_msg_t *reply, size_t offset)
{
    uint64_t number;
    memcpy(&number, (const char *) reply + offset, sizeof number);
    return number;
}

static bool
s_string(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    const char *text = s_string_at(reply, offset);
    s_text(cell, size, text);
    return text != NULL;
}

//  A count that is always meaningful, zero included
static bool
s_u64(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64, s_u64_at(reply, offset));
    return true;
}

static bool
s_bytes(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 " bytes", s_u64_at(reply, offset));
    return true;
}

static bool
s_uptime(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%.1f s", (double) reply->uptime_ms / 1000.0);
    return true;
}

static bool
s_attempt(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    if (reply->tries) {
        snprintf(cell, size, "%" PRIu64 " of %" PRIu64, reply->att, reply->tries);
    } else {
        snprintf(cell, size, "%" PRIu64, reply->att);
    }
    return reply->att != 0;
}

static bool
s_exit(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    //  exit 0 reads the same as "absent": it only means something next to a status
    snprintf(cell, size, "%" PRId64, reply->exit);
    return reply->status != NULL;
}

static bool
s_priority(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRId64, reply->pri);
    return reply->pri != 0;
}

static bool
s_timeout(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 " ms", reply->tmo);
    return reply->tmo != 0;
}

//  The ids it waits for, comma-separated, cut to the cell with "..." when they are many
static bool
s_deps(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    size_t used = 0;
    cell[0] = '\0';
    for (size_t i = 0; i < reply->deps.count; i++) {
        int wrote = snprintf(cell + used, size - used, "%s%s", i ? "," : "",
                             reply->deps.items[i]);
        if (wrote < 0 || (size_t) wrote >= size - used) {
            snprintf(cell + size - 4, 4, "...");
            break;
        }
        used += (size_t) wrote;
    }
    return reply->deps.count > 0;
}

static bool
s_output(const uint8_t *data, size_t data_size, char *cell, size_t size)
{
    char sample[ZS_SHOW_SAMPLE_MAX];
    zs_sanitize(sample, sizeof sample, data, data_size);
    snprintf(cell, size, "%zu bytes: %s", data_size, sample);
    return data_size > 0;
}

static bool
s_stdout(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    return s_output(reply->out, reply->out_size, cell, size);
}

static bool
s_stderr(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    return s_output(reply->err, reply->err_size, cell, size);
}

#define S_FIELD(name) offsetof(zs_msg_t, name)

static const s_row_t s_status_rows[] = {
    {"name", s_string, S_FIELD(name)},
    {"agents", s_u64, S_FIELD(n_agents)},
    {"ready", s_u64, S_FIELD(n_ready)},
    {"running", s_u64, S_FIELD(n_running)},
    {"pending", s_u64, S_FIELD(n_pending)},
    {"completed", s_u64, S_FIELD(n_completed)},
    {"dead", s_u64, S_FIELD(n_dead)},
    {"cancelled", s_u64, S_FIELD(n_cancelled)},
    {"submitted", s_u64, S_FIELD(n_submitted)},
    {"forbidden", s_u64, S_FIELD(n_forbidden)},
    {"queued", s_bytes, S_FIELD(queued_bytes)},
    {"kept", s_bytes, S_FIELD(results_bytes)},
    {"uptime", s_uptime, 0},
    {"events", s_u64, S_FIELD(seq)},
};

static const s_row_t s_task_rows[] = {
    {"task", s_string, S_FIELD(task)},
    {"type", s_string, S_FIELD(ttype)},
    {"state", s_string, S_FIELD(state)},
    {"attempt", s_attempt, 0},
    {"agent", s_string, S_FIELD(agent)},
    {"status", s_string, S_FIELD(status)},
    {"exit", s_exit, 0},
    {"why", s_string, S_FIELD(why)},
    {"priority", s_priority, 0},
    {"timeout", s_timeout, 0},
    {"deps", s_deps, 0},
    {"stdout", s_stdout, 0},
    {"stderr", s_stderr, 0},
};

static void
s_print_rows(const s_row_t *rows, size_t count, const zs_msg_t *reply, FILE *stream)
{
    int width = 0;
    for (size_t i = 0; i < count; i++) {
        int len = (int) strlen(rows[i].key);
        width = len > width ? len : width;
    }
    for (size_t i = 0; i < count; i++) {
        char cell[ZS_SHOW_CELL_MAX];
        if (rows[i].value(reply, rows[i].offset, cell, sizeof cell)) {
            fprintf(stream, "%s:%*s %s\n", rows[i].key, width - (int) strlen(rows[i].key),
                    "", cell);
        }
    }
}

void
zs_show_status(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    s_print_rows(s_status_rows, sizeof s_status_rows / sizeof s_status_rows[0], reply,
                 stream);
}

void
zs_show_task(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    s_print_rows(s_task_rows, sizeof s_task_rows / sizeof s_task_rows[0], reply, stream);
}

//  ---------------------------------------------------------------------------------------
//  The agents table

//  Writes one cell of an agent's row
typedef void (*s_cell_fn)(const zs_msg_agent_t *agent, char *cell, size_t size);

typedef struct {
    const char *header;  //  column title
    s_cell_fn cell;      //  renders the column for one agent
} s_column_t;

static void
s_agent_id(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    s_text(cell, size, agent->agent);
}

static void
s_agent_type(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    s_text(cell, size, agent->atype);
}

static void
s_agent_host(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    s_text(cell, size, agent->host);
}

static void
s_agent_state(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    s_text(cell, size, agent->state);
}

static void
s_agent_load(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 "/%" PRIu64, agent->load, agent->conc);
}

static void
s_agent_done(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64, agent->done);
}

static void
s_agent_failed(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64, agent->failed);
}

static void
s_agent_trust(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%.2f (%.2f)", (double) agent->trust / 1000,
             (double) agent->trust_low / 1000);
}

static void
s_agent_pid(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64, agent->pid);
}

static void
s_agent_local(const zs_msg_agent_t *agent, char *cell, size_t size)
{
    snprintf(cell, size, "%s", agent->local ? "yes" : "no");
}

static const s_column_t s_agent_columns[] = {
    {"AGENT", s_agent_id},      {"TYPE", s_agent_type},      {"HOST", s_agent_host},
    {"STATE", s_agent_state},   {"LOAD/CONC", s_agent_load}, {"DONE", s_agent_done},
    {"FAILED", s_agent_failed}, {"TRUST", s_agent_trust},    {"PID", s_agent_pid},
    {"LOCAL", s_agent_local},
};

#define S_AGENT_COLUMNS (sizeof s_agent_columns / sizeof s_agent_columns[0])

static void
s_print_cell(FILE *stream, size_t column, int width, const char *text)
{
    //  Two spaces between columns; no padding after the last, so lines have no tail
    if (column + 1 < S_AGENT_COLUMNS) {
        fprintf(stream, "%-*s  ", width, text);
    } else {
        fprintf(stream, "%s\n", text);
    }
}

void
zs_show_agents(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    int widths[S_AGENT_COLUMNS];
    char cell[ZS_SHOW_CELL_MAX];
    for (size_t c = 0; c < S_AGENT_COLUMNS; c++) {
        widths[c] = (int) strlen(s_agent_columns[c].header);
        for (size_t a = 0; a < reply->agent_count; a++) {
            s_agent_columns[c].cell(&reply->agents[a], cell, sizeof cell);
            int len = (int) strlen(cell);
            widths[c] = len > widths[c] ? len : widths[c];
        }
    }
    for (size_t c = 0; c < S_AGENT_COLUMNS; c++) {
        s_print_cell(stream, c, widths[c], s_agent_columns[c].header);
    }
    for (size_t a = 0; a < reply->agent_count; a++) {
        for (size_t c = 0; c < S_AGENT_COLUMNS; c++) {
            s_agent_columns[c].cell(&reply->agents[a], cell, sizeof cell);
            s_print_cell(stream, c, widths[c], cell);
        }
    }
}

//  ---------------------------------------------------------------------------------------
//  The topology

void
zs_show_topology(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    char kind[ZS_SHOW_CELL_MAX], id[ZS_SHOW_CELL_MAX], type[ZS_SHOW_CELL_MAX];
    char role[ZS_SHOW_CELL_MAX], lead[ZS_SHOW_CELL_MAX];
    s_text(kind, sizeof kind, reply->topology);
    fprintf(stream, "topology: %s (%zu agents, %zu links)\n", kind, reply->agent_count,
            reply->links.count);
    for (size_t a = 0; a < reply->agent_count; a++) {
        const zs_msg_agent_t *agent = &reply->agents[a];
        s_text(id, sizeof id, agent->agent);
        s_text(type, sizeof type, agent->atype);
        s_text(role, sizeof role, agent->role);
        s_text(lead, sizeof lead, agent->lead);
        fprintf(stream, "  %s  %s, %s%s%s\n", id, type, role,
                agent->lead ? ", lead " : "", agent->lead ? lead : "");
    }
    for (size_t i = 0; i < reply->links.count; i++) {
        s_text(id, sizeof id, reply->links.items[i]);
        char *space = strchr(id, ' ');
        if (space) {
            *space = '\0';
            fprintf(stream, "  %s -- %s\n", id, space + 1);
        }
    }
}

//  Text inside a DOT string: sanitised, with quotes and backslashes escaped
static void
s_dot_text(FILE *stream, const char *text, size_t size)
{
    char clean[ZS_SHOW_CELL_MAX];
    zs_sanitize(clean, sizeof clean, text, size);
    for (const char *at = clean; *at; at++) {
        if (*at == '"' || *at == '\\') {
            fputc('\\', stream);
        }
        fputc(*at, stream);
    }
}

//  A DOT id: the text as a DOT string
static void
s_dot_id(FILE *stream, const char *text, size_t size)
{
    fputc('"', stream);
    s_dot_text(stream, text, size);
    fputc('"', stream);
}

void
zs_show_topology_dot(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    fprintf(stream, "graph zswarm {\n  label=");
    s_dot_id(stream, reply->topology, strlen(reply->topology));
    fprintf(stream, ";\n  zswarmd [shape=box];\n");
    for (size_t a = 0; a < reply->agent_count; a++) {
        const zs_msg_agent_t *agent = &reply->agents[a];
        const char *role = agent->role ? agent->role : "agent";
        fprintf(stream, "  ");
        s_dot_id(stream, agent->agent, strlen(agent->agent));
        fprintf(stream, " [label=\"");
        s_dot_text(stream, agent->agent, strlen(agent->agent));
        fprintf(stream, "\\n");  //  DOT's line break
        s_dot_text(stream, agent->atype, strlen(agent->atype));
        fprintf(stream, ", ");
        s_dot_text(stream, role, strlen(role));
        fprintf(stream, "\"];\n");
        //  Everyone but a team's worker gets its tasks from zswarmd
        if (strcmp(role, "worker") != 0) {
            fprintf(stream, "  zswarmd -- ");
            s_dot_id(stream, agent->agent, strlen(agent->agent));
            fprintf(stream, " [style=dashed];\n");
        }
    }
    for (size_t i = 0; i < reply->links.count; i++) {
        const char *link = reply->links.items[i];
        const char *space = strchr(link, ' ');
        if (space) {
            fprintf(stream, "  ");
            s_dot_id(stream, link, (size_t) (space - link));
            fprintf(stream, " -- ");
            s_dot_id(stream, space + 1, strlen(space + 1));
            fprintf(stream, ";\n");
        }
    }
    fprintf(stream, "}\n");
}
