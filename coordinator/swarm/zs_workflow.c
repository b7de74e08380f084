//  zs_workflow - see zs_workflow.h

#include "coordinator/swarm/zs_workflow.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "proto/zs_msg.h"

enum {
    S_STEP_ID,
    S_STEP_TYPE,
    S_STEP_PAYLOAD,
    S_STEP_DEPS,
    S_STEP_TIMEOUT,
    S_STEP_RETRIES,
    S_STEP_INPUTS
};

//  A task id, or an item of 'deps'
static int
s_check_id(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *node)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (!zs_msg_name_valid(text, len, ZS_MSG_NAME_MAX)) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "invalid task id '%s' for '%s' (expected 1 to %d of A-Z a-z "
                            "0-9 . _ : -)",
                            zs_yaml_sample(text, len).text, key->name, ZS_MSG_NAME_MAX);
    }
    return 0;
}

static int
s_read_id(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    if (s_check_id(ctx, key, node) != 0) {
        return -1;
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static int
s_read_type(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len < 1 || len > ZS_MSG_NAME_MAX) {
        return zs_yaml_fail(ctx, node->start_mark, "expected 1..%d bytes for '%s'",
                            ZS_MSG_NAME_MAX, key->name);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static int
s_read_payload(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    if (!zs_yaml_string(ctx, node, key->name, &len)) {
        return -1;
    }
    if (len > ZS_MSG_PAYLOAD_MAX) {
        return zs_yaml_fail(ctx, node->start_mark, "expected at most %u bytes for '%s'",
                            ZS_MSG_PAYLOAD_MAX, key->name);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static int
s_read_deps(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_workflow_step_t *step = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_id, &step->deps,
                                &step->dep_count);
}

static int
s_read_inputs(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_workflow_step_t *step = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_id, &step->inputs,
                                &step->input_count);
}

//  Each input is a dependency too: those deps does not name join it, so the rules
//  across steps (known steps, no cycle, order) cover them
static void
s_inputs_to_deps(zs_workflow_step_t *step)
{
    for (size_t i = 0; i < step->input_count; i++) {
        bool listed = false;
        for (size_t d = 0; d < step->dep_count && !listed; d++) {
            listed = streq(step->deps[d], step->inputs[i]);
        }
        if (!listed) {
            step->deps =
                zs_realloc(step->deps, (step->dep_count + 2) * sizeof *step->deps);
            step->deps[step->dep_count++] = zs_strdup(step->inputs[i]);
            step->deps[step->dep_count] = NULL;
        }
    }
}

#define S_STEP(field) offsetof(zs_workflow_step_t, field)
// clang-format off
static const zs_yaml_key_t s_step_keys[] = {
    [S_STEP_ID] = {"id", s_read_id, S_STEP(id), 0, 0, NULL, ZS_YAML_REQUIRED},
    [S_STEP_TYPE] = {"type", s_read_type, S_STEP(type), 0, 0, NULL, ZS_YAML_REQUIRED},
    [S_STEP_PAYLOAD] = {"payload", s_read_payload, S_STEP(payload), 0, 0, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_DEPS] = {"deps", s_read_deps, 0, 0, ZS_MSG_DEPS_MAX, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_TIMEOUT] = {"timeout_ms", zs_yaml_read_uint, S_STEP(timeout_ms), 1, ZS_MSG_TMO_MAX, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_RETRIES] = {"retries", zs_yaml_read_uint, S_STEP(retries), 0, ZS_MSG_TRIES_MAX - 1, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_INPUTS] = {"inputs", s_read_inputs, 0, 0, ZS_MSG_INPUTS_MAX, NULL, ZS_YAML_OPTIONAL},
};
// clang-format on
static const zs_yaml_table_t s_step_table = {"in workflow step", s_step_keys,
                                             ZS_YAML_LENGTH(s_step_keys)};

//  ---------------------------------------------------------------------------------------
//  Rules across steps

//  The steps by id: index + 1, so that 0 (NULL) means none. The first step of an id
//  wins, so a duplicate is found as not its own index
static zhashx_t *
s_index_new(const zs_workflow_t *self)
{
    zhashx_t *index = zhashx_new();
    for (size_t i = 0; i < self->count; i++) {
        zhashx_insert(index, self->steps[i].id, (void *) (uintptr_t) (i + 1));
    }
    return index;
}

static size_t
s_find(zhashx_t *index, const char *id)
{
    uintptr_t found = (uintptr_t) zhashx_lookup(index, id);
    return found ? (size_t) found - 1 : SIZE_MAX;
}

//  Unique ids, and deps that name other steps
static int
s_check_names(zs_yaml_t *ctx,
              const zs_workflow_t *self,
              zhashx_t *index,
              const yaml_node_t *node)
{
    for (size_t i = 0; i < self->count; i++) {
        const zs_workflow_step_t *step = &self->steps[i];
        const yaml_node_t *item = zs_yaml_node(ctx, node->data.sequence.items.start[i]);
        if (s_find(index, step->id) != i) {
            return zs_yaml_fail(ctx, item->start_mark, "duplicate workflow step '%s'",
                                step->id);
        }
        for (size_t d = 0; d < step->dep_count; d++) {
            size_t dep = s_find(index, step->deps[d]);
            if (dep == SIZE_MAX || dep == i) {
                return zs_yaml_fail(ctx, item->start_mark, "step '%s' depends on %s '%s'",
                                    step->id, dep == i ? "itself," : "no workflow step",
                                    step->deps[d]);
            }
        }
    }
    return 0;
}

//  Who waits for whom, as counts and lists: waiting[i] is how many dependencies step i
//  waits for; the steps that wait for step j are after[first[j]] .. after[first[j+1]]
typedef struct {
    size_t *waiting;  //  per step, owned
    size_t *first;    //  per step and one more, owned
    size_t *after;    //  every dependency edge, owned
} s_edges_t;

static void
s_edges_init(s_edges_t *edges, const zs_workflow_t *self, zhashx_t *index)
{
    edges->waiting = zs_calloc(self->count, sizeof *edges->waiting);
    edges->first = zs_calloc(self->count + 1, sizeof *edges->first);
    size_t total = 0;
    for (size_t i = 0; i < self->count; i++) {
        for (size_t d = 0; d < self->steps[i].dep_count; d++) {
            edges->first[s_find(index, self->steps[i].deps[d]) + 1]++;
            total++;
        }
        edges->waiting[i] = self->steps[i].dep_count;
    }
    for (size_t j = 0; j < self->count; j++) {
        edges->first[j + 1] += edges->first[j];
    }
    edges->after = zs_calloc(total, sizeof *edges->after);
    size_t *fill = zs_calloc(self->count, sizeof *fill);
    for (size_t i = 0; i < self->count; i++) {
        for (size_t d = 0; d < self->steps[i].dep_count; d++) {
            size_t j = s_find(index, self->steps[i].deps[d]);
            edges->after[edges->first[j] + fill[j]++] = i;
        }
    }
    free(fill);
}

static void
s_edges_fini(s_edges_t *edges)
{
    free(edges->waiting);
    free(edges->first);
    free(edges->after);
}

//  The unplaced dependency of step i that comes first in its deps
static size_t
s_unplaced_dep(const zs_workflow_t *self, zhashx_t *index, const bool *placed, size_t i)
{
    for (size_t d = 0; d < self->steps[i].dep_count; d++) {
        size_t dep = s_find(index, self->steps[i].deps[d]);
        if (!placed[dep]) {
            return dep;
        }
    }
    return i;  //  not reached: a step left unplaced waits for an unplaced one
}

//  When no step is ready, every unplaced one waits for another: walking from any of
//  them, count steps surely end on a cycle. Its step first in the file is named
static size_t
s_on_cycle(const zs_workflow_t *self, zhashx_t *index, const bool *placed)
{
    size_t at = 0;
    while (placed[at]) {
        at++;
    }
    for (size_t n = 0; n < self->count; n++) {
        at = s_unplaced_dep(self, index, placed, at);
    }
    size_t first = at;
    for (size_t i = s_unplaced_dep(self, index, placed, at); i != at;
         i = s_unplaced_dep(self, index, placed, i)) {
        first = i < first ? i : first;
    }
    return first;
}

//  Kahn's algorithm, taking the first ready step in file order each time. Returns the
//  new order in order[], or -1 with *stuck a step on a cycle.
static int
s_sort(const zs_workflow_t *self, zhashx_t *index, size_t *order, size_t *stuck)
{
    s_edges_t edges;
    s_edges_init(&edges, self, index);
    bool *placed = zs_calloc(self->count, sizeof *placed);
    size_t done = 0;
    int rc = 0;
    while (done < self->count && rc == 0) {
        size_t next = 0;
        while (next < self->count && (placed[next] || edges.waiting[next] > 0)) {
            next++;
        }
        if (next == self->count) {
            *stuck = s_on_cycle(self, index, placed);
            rc = -1;
            break;
        }
        placed[next] = true;
        order[done++] = next;
        for (size_t e = edges.first[next]; e < edges.first[next + 1]; e++) {
            edges.waiting[edges.after[e]]--;
        }
    }
    free(placed);
    s_edges_fini(&edges);
    return rc;
}

static int
s_order(zs_yaml_t *ctx, zs_workflow_t *self, zhashx_t *index, const yaml_node_t *node)
{
    size_t *order = zs_calloc(self->count, sizeof *order);
    size_t stuck = 0;
    if (s_sort(self, index, order, &stuck) != 0) {
        free(order);
        const yaml_node_t *item =
            zs_yaml_node(ctx, node->data.sequence.items.start[stuck]);
        return zs_yaml_fail(ctx, item->start_mark,
                            "workflow step '%s' is on a dependency cycle",
                            self->steps[stuck].id);
    }
    zs_workflow_step_t *sorted = zs_calloc(self->count, sizeof *sorted);
    for (size_t i = 0; i < self->count; i++) {
        sorted[i] = self->steps[order[i]];
    }
    free(self->steps);
    self->steps = sorted;
    free(order);
    return 0;
}

//  ---------------------------------------------------------------------------------------

int
zs_workflow_read(zs_yaml_t *ctx,
                 const zs_yaml_key_t *key,
                 yaml_node_t *node,
                 void *target)
{
    zs_workflow_t *self = zs_yaml_field(target, key);
    size_t count = 0;
    if (zs_yaml_sequence(ctx, key, node, &count) != 0) {
        return -1;
    }
    self->steps = zs_calloc(count, sizeof *self->steps);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = zs_yaml_node(ctx, node->data.sequence.items.start[i]);
        yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
        if (item->type != YAML_MAPPING_NODE) {
            return zs_yaml_fail(ctx, item->start_mark,
                                "expected mapping for workflow step");
        }
        self->count++;
        if (zs_yaml_read_map(ctx, &s_step_table, item, &self->steps[i], found) != 0) {
            return -1;
        }
        self->steps[i].retries_set = found[S_STEP_RETRIES] != NULL;
        s_inputs_to_deps(&self->steps[i]);
    }
    zhashx_t *index = s_index_new(self);
    int rc =
        s_check_names(ctx, self, index, node) == 0 ? s_order(ctx, self, index, node) : -1;
    zhashx_destroy(&index);
    return rc;
}

void
zs_workflow_fini(zs_workflow_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->count; i++) {
        zs_workflow_step_t *step = &self->steps[i];
        free(step->id);
        free(step->type);
        free(step->payload);
        zs_strings_free(step->deps, step->dep_count);
        zs_strings_free(step->inputs, step->input_count);
    }
    free(self->steps);
    self->steps = NULL;
    self->count = 0;
}
