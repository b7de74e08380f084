//  zs_show - see zs_show.h

#include "ctl/zs_show.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "ctl/zs_bar.h"
#include "ctl/zs_client.h"

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

//  A field of a message or a record, by its offset
static const char *
s_string_at(const void *record, size_t offset)
{
    const char *text;
    memcpy(&text, (const char *) record + offset, sizeof text);
    return text;
}

static uint64_t
s_u64_at(const void *record, size_t offset)
{
    uint64_t number;
    memcpy(&number, (const char *) record + offset, sizeof number);
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

//  A task's checkpoint, when it has one
static bool
s_ckpt(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    return s_bytes(reply, offset, cell, size) && reply->ckpt_bytes > 0;
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

//  A list of ids (deps, inputs), comma-separated, cut to the cell with "..." when they
//  are many
static bool
s_ids(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    zs_msg_list_t list;
    memcpy(&list, (const char *) reply + offset, sizeof list);
    size_t used = 0;
    cell[0] = '\0';
    for (size_t i = 0; i < list.count; i++) {
        int wrote =
            snprintf(cell + used, size - used, "%s%s", i ? "," : "", list.items[i]);
        if (wrote < 0 || (size_t) wrote >= size - used) {
            snprintf(cell + size - 4, 4, "...");
            break;
        }
        used += (size_t) wrote;
    }
    return list.count > 0;
}

static bool
s_children(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%zu", reply->children.count);
    return reply->children.count > 0;
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

//  ---------------------------------------------------------------------------------------
//  What LLM tasks spent, and progress

//  A float field, NaN when absent
static double
s_double_at(const void *record, size_t offset)
{
    double number;
    memcpy(&number, (const char *) record + offset, sizeof number);
    return number;
}

//  US dollars: to the millionth, since one call may cost less than a cent
static void
s_usd_text(char *cell, size_t size, double usd)
{
    snprintf(cell, size, "%.6f", usd);
}

static bool
s_usd(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    double usd = s_double_at(reply, offset);
    s_usd_text(cell, size, usd);
    return !isnan(usd);
}

static bool
s_tokens(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 " in, %" PRIu64 " out", reply->tok_in,
             reply->tok_out);
    return reply->tok_in > 0 || reply->tok_out > 0;
}

//  The swarm's spending: shown once there is any, or a budget bounds it
static bool
s_swarm_tokens(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    return s_tokens(reply, offset, cell, size) || reply->tok_max > 0;
}

static bool
s_swarm_usd(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    double usd = isnan(reply->usd) ? 0 : reply->usd;
    s_usd_text(cell, size, usd);
    return usd > 0 || !isnan(reply->usd_max);
}

//  "1801 of 10000 tokens, 0.012000 of 5.000000 USD": the bounds the swarm file set
static bool
s_budget(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    char usd[32], usd_max[32];
    int used = 0;
    cell[0] = '\0';
    if (reply->tok_max > 0) {
        used = snprintf(cell, size, "%" PRIu64 " of %" PRIu64 " tokens",
                        reply->tok_in + reply->tok_out, reply->tok_max);
    }
    if (!isnan(reply->usd_max) && used >= 0 && (size_t) used < size) {
        s_usd_text(usd, sizeof usd, isnan(reply->usd) ? 0 : reply->usd);
        s_usd_text(usd_max, sizeof usd_max, reply->usd_max);
        snprintf(cell + used, size - (size_t) used, "%s%s of %s USD", used ? ", " : "",
                 usd, usd_max);
    }
    return cell[0] != '\0';
}

//  "15 (budget spent)": why the coordinator ended the task
static bool
s_code(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 " (%s)", reply->code,
             zs_client_error_name(reply->code));
    return reply->code != 0;
}

static bool
s_pct(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64 "%%", reply->pct);
    return reply->pct > 0;
}

//  "2.1 MiB of 5.0 MiB at 1.3 MiB/s": a transfer's latest progress
static bool
s_transfer(const zs_msg_t *reply, size_t offset, char *cell, size_t size)
{
    char bytes[ZS_BAR_SIZE_MAX], total[ZS_BAR_SIZE_MAX] = "", rate[ZS_BAR_SIZE_MAX] = "";
    zs_bar_size(bytes, sizeof bytes, reply->bytes);
    if (reply->total > 0) {
        zs_bar_size(total, sizeof total, reply->total);
    }
    if (reply->rate > 0) {
        zs_bar_size(rate, sizeof rate, reply->rate);
    }
    snprintf(cell, size, "%s%s%s%s%s%s", bytes, *total ? " of " : "", total,
             *rate ? " at " : "", rate, *rate ? "/s" : "");
    return reply->bytes > 0 || reply->total > 0;
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
    {"tokens", s_swarm_tokens, 0},
    {"usd", s_swarm_usd, 0},
    {"budget", s_budget, 0},
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
    {"code", s_code, 0},
    {"priority", s_priority, 0},
    {"timeout", s_timeout, 0},
    {"deps", s_ids, S_FIELD(deps)},
    {"parent", s_string, S_FIELD(parent)},
    {"children", s_children, 0},
    {"ckpt", s_ckpt, S_FIELD(ckpt_bytes)},
    {"provider", s_string, S_FIELD(provider)},
    {"tokens", s_tokens, 0},
    {"usd", s_usd, S_FIELD(usd)},
    {"progress", s_pct, 0},
    {"note", s_string, S_FIELD(note)},
    {"bytes", s_transfer, 0},
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

void
zs_show_child(const char *id, const zs_msg_t *reply, FILE *stream)
{
    assert(id);
    assert(stream);
    char name[ZS_SHOW_CELL_MAX], state[ZS_SHOW_CELL_MAX];
    s_text(name, sizeof name, id);
    s_text(state, sizeof state, reply ? reply->state : "(no longer kept)");
    fprintf(stream, "  %s  %s\n", name, state);
}

bool
zs_show_task_bar(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    zs_bar_progress_t progress = {reply->pct, reply->bytes, reply->total, reply->rate};
    char line[ZS_BAR_LINE_MAX];
    if (!reply->state || !streq(reply->state, "running") ||
        (progress.total == 0 && progress.pct == 0) ||
        !zs_bar_format(line, sizeof line, &progress)) {
        return false;
    }
    fprintf(stream, "%s\n", line);
    return true;
}

//  ---------------------------------------------------------------------------------------
//  Tables: a header line, then a row per record, columns as wide as their widest cell

//  Writes one cell of a record's row; offset locates the field for columns that share
//  a function
typedef void (*s_cell_fn)(const void *record, size_t offset, char *cell, size_t size);

typedef struct {
    const char *header;  //  column title
    s_cell_fn cell;      //  renders the column for one record
    size_t offset;       //  offsetof the record's field, for s_cell_text and friends
} s_column_t;

//  count records of record_size bytes each, from records
typedef struct {
    const s_column_t *columns;  //  the columns, in order
    size_t column_count;        //  items in columns
    const void *records;        //  the first record
    size_t record_size;         //  sizeof one record
    size_t count;               //  records
} s_table_t;

#define S_TABLE_COLUMNS_MAX 16  //  columns of the widest table

static const void *
s_record(const s_table_t *table, size_t index)
{
    return (const char *) table->records + index * table->record_size;
}

static void
s_print_cell(
    FILE *stream, const s_table_t *table, size_t column, int width, const char *text)
{
    //  Two spaces between columns; no padding after the last, so lines have no tail
    if (column + 1 < table->column_count) {
        fprintf(stream, "%-*s  ", width, text);
    } else {
        fprintf(stream, "%s\n", text);
    }
}

static void
s_print_table(const s_table_t *table, FILE *stream)
{
    assert(table->column_count <= S_TABLE_COLUMNS_MAX);
    int widths[S_TABLE_COLUMNS_MAX];
    char cell[ZS_SHOW_CELL_MAX];
    for (size_t c = 0; c < table->column_count; c++) {
        const s_column_t *column = &table->columns[c];
        widths[c] = (int) strlen(column->header);
        for (size_t r = 0; r < table->count; r++) {
            column->cell(s_record(table, r), column->offset, cell, sizeof cell);
            int len = (int) strlen(cell);
            widths[c] = len > widths[c] ? len : widths[c];
        }
    }
    for (size_t c = 0; c < table->column_count; c++) {
        s_print_cell(stream, table, c, widths[c], table->columns[c].header);
    }
    for (size_t r = 0; r < table->count; r++) {
        for (size_t c = 0; c < table->column_count; c++) {
            const s_column_t *column = &table->columns[c];
            column->cell(s_record(table, r), column->offset, cell, sizeof cell);
            s_print_cell(stream, table, c, widths[c], cell);
        }
    }
}

//  The fields of records, by offset
static void
s_cell_text(const void *record, size_t offset, char *cell, size_t size)
{
    s_text(cell, size, s_string_at(record, offset));
}

static void
s_cell_u64(const void *record, size_t offset, char *cell, size_t size)
{
    snprintf(cell, size, "%" PRIu64, s_u64_at(record, offset));
}

//  A count that 0 means "none" for (a limit): "-" then
static void
s_cell_limit(const void *record, size_t offset, char *cell, size_t size)
{
    uint64_t count = s_u64_at(record, offset);
    if (count == 0) {
        snprintf(cell, size, "-");
    } else {
        snprintf(cell, size, "%" PRIu64, count);
    }
}

//  USD spent: absent reads as nothing spent
static void
s_cell_usd(const void *record, size_t offset, char *cell, size_t size)
{
    double usd = s_double_at(record, offset);
    s_usd_text(cell, size, isnan(usd) ? 0 : usd);
}

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

//  ---------------------------------------------------------------------------------------
//  The agents table

static void
s_agent_load(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, "%" PRIu64 "/%" PRIu64, agent->load, agent->conc);
}

static void
s_agent_trust(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, "%.2f (%.2f)", (double) agent->trust / 1000,
             (double) agent->trust_low / 1000);
}

//  idle or busy, and whether it is paused
static void
s_agent_state(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, "%s%s", agent->state ? agent->state : "-",
             agent->paused ? " (paused)" : "");
}

//  CPU per mille of one CPU as a percentage, "-" when not reported
static void
s_agent_cpu(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, agent->rss ? "%.1f%%" : "-", (double) agent->cpu / 10);
}

//  Resident memory in MiB, "-" when not reported
static void
s_agent_rss(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, agent->rss ? "%.1fM" : "-", (double) agent->rss / (1 << 20));
}

static void
s_agent_local(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_agent_t *agent = record;
    snprintf(cell, size, "%s", agent->local ? "yes" : "no");
}

#define S_AGENT(name) offsetof(zs_msg_agent_t, name)

static const s_column_t s_agent_columns[] = {
    {"AGENT", s_cell_text, S_AGENT(agent)},
    {"TYPE", s_cell_text, S_AGENT(atype)},
    {"HOST", s_cell_text, S_AGENT(host)},
    {"STATE", s_agent_state, 0},
    {"LOAD/CONC", s_agent_load, 0},
    {"DONE", s_cell_u64, S_AGENT(done)},
    {"FAILED", s_cell_u64, S_AGENT(failed)},
    {"TRUST", s_agent_trust, 0},
    {"PID", s_cell_u64, S_AGENT(pid)},
    {"LOCAL", s_agent_local, 0},
    {"CPU", s_agent_cpu, 0},
    {"RSS", s_agent_rss, 0},
};

void
zs_show_agents(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    s_table_t table = {s_agent_columns, S_COUNT(s_agent_columns), reply->agents,
                       sizeof *reply->agents, reply->agent_count};
    s_print_table(&table, stream);
}

//  ---------------------------------------------------------------------------------------
//  The providers and budgets tables

//  Its cooldown: the time until it may be tried again
static void
s_provider_left(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_provider_t *provider = record;
    if (provider->left == 0) {
        snprintf(cell, size, "-");
    } else {
        snprintf(cell, size, "%.1f s", (double) provider->left / 1000.0);
    }
}

#define S_PROVIDER(name) offsetof(zs_msg_provider_t, name)

static const s_column_t s_provider_columns[] = {
    {"PROVIDER", s_cell_text, S_PROVIDER(name)},
    {"KIND", s_cell_text, S_PROVIDER(kind)},
    {"MODEL", s_cell_text, S_PROVIDER(model)},
    {"STATE", s_cell_text, S_PROVIDER(state)},
    {"LEFT", s_provider_left, 0},
    {"CALLS", s_cell_u64, S_PROVIDER(calls)},
    {"FAILS", s_cell_u64, S_PROVIDER(fails)},
    {"TOK_IN", s_cell_u64, S_PROVIDER(tok_in)},
    {"TOK_OUT", s_cell_u64, S_PROVIDER(tok_out)},
    {"USD", s_cell_usd, S_PROVIDER(usd)},
    {"RPM", s_cell_limit, S_PROVIDER(rpm)},
    {"TPM", s_cell_limit, S_PROVIDER(tpm)},
    {"WHY", s_cell_text, S_PROVIDER(why)},
};

//  "1801/10000", or "1801/-" without a bound
static void
s_budget_tokens(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_budget_t *budget = record;
    char bound[ZS_SHOW_CELL_MAX];
    s_cell_limit(record, offsetof(zs_msg_budget_t, tok_max), bound, sizeof bound);
    snprintf(cell, size, "%" PRIu64 "/%.32s", budget->tok, bound);
}

static void
s_budget_usd(const void *record, size_t offset, char *cell, size_t size)
{
    const zs_msg_budget_t *budget = record;
    char spent[ZS_SHOW_CELL_MAX], bound[ZS_SHOW_CELL_MAX] = "-";
    s_cell_usd(record, offsetof(zs_msg_budget_t, usd), spent, sizeof spent);
    if (!isnan(budget->usd_max)) {
        s_usd_text(bound, sizeof bound, budget->usd_max);
    }
    snprintf(cell, size, "%.32s/%.32s", spent, bound);
}

static const s_column_t s_budget_columns[] = {
    {"SCOPE", s_cell_text, offsetof(zs_msg_budget_t, scope)},
    {"TOKENS/MAX", s_budget_tokens, 0},
    {"USD/MAX", s_budget_usd, 0},
};

void
zs_show_providers(const zs_msg_t *reply, FILE *stream)
{
    assert(reply);
    assert(stream);
    s_table_t providers = {s_provider_columns, S_COUNT(s_provider_columns),
                           reply->providers, sizeof *reply->providers,
                           reply->provider_count};
    s_table_t budgets = {s_budget_columns, S_COUNT(s_budget_columns), reply->budgets,
                         sizeof *reply->budgets, reply->budget_count};
    s_print_table(&providers, stream);
    fprintf(stream, "\n");
    s_print_table(&budgets, stream);
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
