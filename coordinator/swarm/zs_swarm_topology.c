//  zs_swarm_topology - the swarm file's rules that hold its topology together (see
//  zs_swarm_private.h): teams of 'reports_to', the 'ring' stages, and workflow steps a
//  client could submit under the topology. zs_topology.c has the rules themselves.

#include "coordinator/swarm/zs_swarm_private.h"
#include "coordinator/swarm/zs_topology.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

#include "proto/zs_msg.h"

//  'reports_to' names another type that reports to nobody: teams are one level deep
static int
s_check_team(zs_yaml_t *ctx,
             zs_swarm_t *self,
             zs_swarm_type_t *type,
             const yaml_node_t *at)
{
    if (self->topology != ZS_TOPOLOGY_HIERARCHICAL) {
        return zs_yaml_fail(ctx, at->start_mark,
                            "'reports_to' needs topology hierarchical (agent type '%s')",
                            type->type);
    }
    const zs_swarm_type_t *found = zs_swarm_type_find(self, type->reports_to);
    zs_swarm_type_t *lead = found ? &self->types[found - self->types] : NULL;
    if (!lead || lead == type) {
        return zs_yaml_fail(ctx, at->start_mark, "agent type '%s' reports to '%s', %s",
                            type->type, type->reports_to,
                            lead ? "itself" : "which is not an agent type in this file");
    }
    if (lead->reports_to) {
        return zs_yaml_fail(ctx, at->start_mark,
                            "agent type '%s' reports to '%s', which reports to '%s': "
                            "teams are one level deep",
                            type->type, lead->type, lead->reports_to);
    }
    lead->leads = true;
    //  A worker runs what its lead delegates: tasks of the lead's type
    for (size_t i = 0; i < type->cap_count; i++) {
        if (streq(type->caps[i], lead->type)) {
            return 0;
        }
    }
    type->caps = zs_realloc(type->caps, (type->cap_count + 2) * sizeof *type->caps);
    type->caps[type->cap_count++] = zs_strdup(lead->type);
    type->caps[type->cap_count] = NULL;
    return 0;
}

//  The ring's stages are distinct agent types of this file
static int
s_check_ring(zs_yaml_t *ctx, const zs_swarm_t *self, const yaml_node_t *ring)
{
    for (size_t i = 0; i < self->ring_count; i++) {
        const yaml_node_t *item = zs_yaml_node(ctx, ring->data.sequence.items.start[i]);
        if (!zs_swarm_type_find(self, self->ring[i])) {
            return zs_yaml_fail(ctx, item->start_mark,
                                "ring stage '%s' is not an agent type in this file",
                                self->ring[i]);
        }
        for (size_t j = 0; j < i; j++) {
            if (streq(self->ring[j], self->ring[i])) {
                return zs_yaml_fail(ctx, item->start_mark,
                                    "ring stage '%s' appears twice", self->ring[i]);
            }
        }
    }
    return 0;
}

static bool
s_step_exists(const zs_workflow_t *workflow, const char *id)
{
    for (size_t i = 0; i < workflow->count; i++) {
        if (streq(workflow->steps[i].id, id)) {
            return true;
        }
    }
    return false;
}

//  A workflow step is submitted like a client's task: the topology must take its type,
//  a team step needs room for its work ID.w, and a step cannot start a ring pipeline
static int
s_check_step(zs_yaml_t *ctx, const zs_swarm_t *self, const yaml_node_t *item)
{
    const yaml_node_t *type_node = zs_yaml_map_value(ctx, item, "type");
    const yaml_node_t *id_node = zs_yaml_map_value(ctx, item, "id");
    const char *type = (const char *) type_node->data.scalar.value;
    const char *id = (const char *) id_node->data.scalar.value;
    zs_error_t why;
    zs_error_init(&why);
    if (zs_topology_admit(self, type, &why) != 0) {
        return zs_yaml_fail(ctx, type_node->start_mark, "workflow step '%s': %s", id,
                            why.text);
    }
    if (zs_topology_ring_task(self, type)) {
        return zs_yaml_fail(
            ctx, type_node->start_mark,
            "workflow step '%s' cannot start a ring pipeline (type '%s'): "
            "submit it once the swarm runs",
            id, type);
    }
    char work[ZS_MSG_NAME_MAX + 4];
    snprintf(work, sizeof work, "%s.w", id);
    if (zs_topology_team_task(self, type) &&
        (strlen(work) > ZS_MSG_NAME_MAX || s_step_exists(&self->workflow, work))) {
        return zs_yaml_fail(
            ctx, id_node->start_mark,
            "workflow step '%s' is a team task: its work '%s' needs an id "
            "of at most %d bytes that no step has",
            id, work, ZS_MSG_NAME_MAX);
    }
    return 0;
}

int
zs_swarm_check_topology(zs_yaml_t *ctx,
                        zs_swarm_t *self,
                        const yaml_node_t *root,
                        const yaml_node_t *ring_node,
                        const yaml_node_t *workflow)
{
    const yaml_node_t *agents = zs_yaml_map_value(ctx, root, "agents");
    for (size_t i = 0; i < self->type_count; i++) {
        const yaml_node_t *item = zs_yaml_node(ctx, agents->data.sequence.items.start[i]);
        const yaml_node_t *at = zs_yaml_map_value(ctx, item, "reports_to");
        if (at && s_check_team(ctx, self, &self->types[i], at) != 0) {
            return -1;
        }
    }
    bool ring = self->topology == ZS_TOPOLOGY_RING;
    if (ring_node && !ring) {
        return zs_yaml_fail(ctx, ring_node->start_mark, "'ring' needs topology ring");
    }
    if (ring && !ring_node) {
        return zs_yaml_fail(
            ctx, root->start_mark,
            "topology ring needs 'ring', the stages' agent types in order");
    }
    if (ring && s_check_ring(ctx, self, ring_node) != 0) {
        return -1;
    }
    for (size_t i = 0; workflow && i < self->workflow.count; i++) {
        const yaml_node_t *item =
            zs_yaml_node(ctx, workflow->data.sequence.items.start[i]);
        if (s_check_step(ctx, self, item) != 0) {
            return -1;
        }
    }
    return 0;
}
