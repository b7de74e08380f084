//  zs_workflow - see zs_workflow.h

#include "zs_workflow.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "zs_msg.h"

#define S_ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

enum {
    S_STEP_ID,
    S_STEP_TYPE,
    S_STEP_PAYLOAD,
    S_STEP_DEPS,
    S_STEP_TIMEOUT,
    S_STEP_RETRIES
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
    if (len < 1 || len > ZS_MSG_NAME_MAX || strspn(text, S_ID_CHARS) != len) {
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

#define S_STEP(field) offsetof(zs_workflow_step_t, field)
// clang-format off
static const zs_yaml_key_t s_step_keys[] = {
    [S_STEP_ID] = {"id", s_read_id, S_STEP(id), 0, 0, NULL, ZS_YAML_REQUIRED},
    [S_STEP_TYPE] = {"type", s_read_type, S_STEP(type), 0, 0, NULL, ZS_YAML_REQUIRED},
    [S_STEP_PAYLOAD] = {"payload", s_read_payload, S_STEP(payload), 0, 0, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_DEPS] = {"deps", s_read_deps, 0, 0, ZS_MSG_DEPS_MAX, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_TIMEOUT] = {"timeout_ms", zs_yaml_read_uint, S_STEP(timeout_ms), 1, ZS_MSG_TMO_MAX, NULL, ZS_YAML_OPTIONAL},
    [S_STEP_RETRIES] = {"retries", zs_yaml_read_uint, S_STEP(retries), 0, ZS_MSG_TRIES_MAX - 1, NULL, ZS_YAML_OPTIONAL},
};
// clang-format on
static const zs_yaml_table_t s_step_table = {"in workflow step", s_step_keys,
                                             ZS_YAML_LENGTH(s_step_keys)};

//  ---------------------------------------------------------------------------------------
//  Rules across steps

static size_t
s_find(const zs_workflow_t *self, const char *id)
{
    for (size_t i = 0; i < self->count; i++) {
        if (strcmp(self->steps[i].id, id) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

//  Unique ids, and deps that name other steps
static int
s_check_names(zs_yaml_t *ctx, const zs_workflow_t *self, const yaml_node_t *node)
{
    for (size_t i = 0; i < self->count; i++) {
        const zs_workflow_step_t *step = &self->steps[i];
        const yaml_node_t *item = zs_yaml_node(ctx, node->data.sequence.items.start[i]);
        if (s_find(self, step->id) != i) {
            return zs_yaml_fail(ctx, item->start_mark, "duplicate workflow step '%s'",
                                step->id);
        }
        for (size_t d = 0; d < step->dep_count; d++) {
            size_t dep = s_find(self, step->deps[d]);
            if (dep == SIZE_MAX || dep == i) {
                return zs_yaml_fail(ctx, item->start_mark, "step '%s' depends on %s '%s'",
                                    step->id, dep == i ? "itself," : "no workflow step",
                                    step->deps[d]);
            }
        }
    }
    return 0;
}

//  Kahn's algorithm, taking the first ready step in file order each time. Returns the
//  new order in order[], or -1 with *stuck a step on a cycle.
static int
s_sort(const zs_workflow_t *self, size_t *order, size_t *stuck)
{
    bool *placed = zs_calloc(self->count, sizeof *placed);
    size_t done = 0;
    while (done < self->count) {
        size_t next = SIZE_MAX;
        for (size_t i = 0; i < self->count && next == SIZE_MAX; i++) {
            bool ready = !placed[i];
            for (size_t d = 0; ready && d < self->steps[i].dep_count; d++) {
                ready = placed[s_find(self, self->steps[i].deps[d])];
            }
            next = ready ? i : SIZE_MAX;
        }
        if (next == SIZE_MAX) {
            for (size_t i = 0; i < self->count; i++) {
                if (!placed[i]) {
                    *stuck = i;
                    break;
                }
            }
            free(placed);
            return -1;
        }
        placed[next] = true;
        order[done++] = next;
    }
    free(placed);
    return 0;
}

static int
s_order(zs_yaml_t *ctx, zs_workflow_t *self, const yaml_node_t *node)
{
    size_t *order = zs_calloc(self->count, sizeof *order);
    size_t stuck = 0;
    if (s_sort(self, order, &stuck) != 0) {
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
    }
    if (s_check_names(ctx, self, node) != 0) {
        return -1;
    }
    return s_order(ctx, self, node);
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
        for (size_t d = 0; d < step->dep_count; d++) {
            free(step->deps[d]);
        }
        free(step->deps);
    }
    free(self->steps);
    self->steps = NULL;
    self->count = 0;
}
