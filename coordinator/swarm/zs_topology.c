//  zs_topology - see zs_topology.h

#include "coordinator/swarm/zs_topology.h"

#include <assert.h>
#include <string.h>

static const char *s_names[] = {
    [ZS_TOPOLOGY_STAR] = "star",
    [ZS_TOPOLOGY_MESH] = "mesh",
    [ZS_TOPOLOGY_HIERARCHICAL] = "hierarchical",
    [ZS_TOPOLOGY_RING] = "ring",
};

const char *
zs_topology_name(zs_topology_kind_t kind)
{
    assert((size_t) kind < sizeof s_names / sizeof s_names[0]);
    return s_names[kind];
}

static int
s_stage(const zs_swarm_t *swarm, const char *atype)
{
    for (size_t i = 0; i < swarm->ring_count; i++) {
        if (strcmp(swarm->ring[i], atype) == 0) {
            return (int) i;
        }
    }
    return -1;
}

zs_topology_place_t
zs_topology_place(const zs_swarm_t *swarm, const char *atype)
{
    assert(swarm);
    assert(atype);
    zs_topology_place_t place = {.team = NULL, .stage = -1, .lead = false};
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, atype);
    if (type && swarm->topology == ZS_TOPOLOGY_HIERARCHICAL) {
        place.team = type->leads ? type->type : type->reports_to;
    }
    if (type && swarm->topology == ZS_TOPOLOGY_RING) {
        place.stage = s_stage(swarm, atype);
    }
    return place;
}

bool
zs_topology_linked(const zs_swarm_t *swarm,
                   const zs_topology_place_t *a,
                   const zs_topology_place_t *b)
{
    assert(swarm);
    assert(a);
    assert(b);
    switch (swarm->topology) {
    case ZS_TOPOLOGY_MESH:
        return true;
    case ZS_TOPOLOGY_HIERARCHICAL:
        return a->team && b->team && strcmp(a->team, b->team) == 0 && a->lead != b->lead;
    case ZS_TOPOLOGY_RING: {
        int n = (int) swarm->ring_count;
        return a->stage >= 0 && b->stage >= 0 &&
               ((a->stage + 1) % n == b->stage || (b->stage + 1) % n == a->stage);
    }
    case ZS_TOPOLOGY_STAR:
        break;
    }
    return false;
}

const char *
zs_topology_role(const zs_swarm_t *swarm, const zs_topology_place_t *place)
{
    assert(swarm);
    assert(place);
    if (swarm->topology == ZS_TOPOLOGY_MESH) {
        return "peer";
    }
    if (place->team) {
        return place->lead ? "lead" : "worker";
    }
    return place->stage >= 0 ? "stage" : "agent";
}

int
zs_topology_admit(const zs_swarm_t *swarm, const char *ttype, zs_error_t *err)
{
    assert(swarm);
    assert(ttype);
    if (swarm->topology != ZS_TOPOLOGY_HIERARCHICAL &&
        swarm->topology != ZS_TOPOLOGY_RING) {
        return 0;  //  star and mesh take any type: a submit costs no look-up
    }
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, ttype);
    if (swarm->topology == ZS_TOPOLOGY_HIERARCHICAL && type && type->reports_to) {
        return zs_error_set(err, ZS_ERR_FORBIDDEN,
                            "type '%s' reports to '%s': submit to '%s', whose lead "
                            "delegates to its workers",
                            ttype, type->reports_to, type->reports_to);
    }
    int stage = swarm->topology == ZS_TOPOLOGY_RING ? s_stage(swarm, ttype) : -1;
    if (stage > 0) {
        return zs_error_set(
            err, ZS_ERR_FORBIDDEN,
            "type '%s' is ring stage %d: its input comes from stage '%s'; "
            "submit to '%s', the first",
            ttype, stage + 1, swarm->ring[stage - 1], swarm->ring[0]);
    }
    return 0;
}

bool
zs_topology_team_task(const zs_swarm_t *swarm, const char *ttype)
{
    assert(swarm);
    if (swarm->topology != ZS_TOPOLOGY_HIERARCHICAL) {
        return false;
    }
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, ttype);
    return type && type->leads;
}

bool
zs_topology_ring_task(const zs_swarm_t *swarm, const char *ttype)
{
    assert(swarm);
    return swarm->topology == ZS_TOPOLOGY_RING && strcmp(swarm->ring[0], ttype) == 0;
}
