//  zs_registry - see zs_registry.h

#include "coordinator/sched/zs_registry.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct zs_registry_t {
    zhashx_t *agents;             //  id -> zs_agent_t *, owns the agents
    zhashx_t *capable;            //  task type -> zs_agent_set_t *, owns the sets
    uint64_t joined;              //  agents registered so far
    zs_registry_watch_fn *watch;  //  told of removals, or NULL
    void *watch_ctx;              //  its context, borrowed
};

static void
s_agent_destroy(void **item)
{
    zs_agent_t *agent = *item;
    free(agent->id);
    free(agent->atype);
    free(agent->host);
    for (size_t i = 0; i < agent->cap_count; i++) {
        free(agent->caps[i]);
    }
    free(agent->caps);
    free(agent);
    *item = NULL;
}

static void
s_set_destroy(void **item)
{
    zs_agent_set_t *set = *item;
    free(set->items);
    free(set);
    *item = NULL;
}

zs_registry_t *
zs_registry_new(void)
{
    zs_registry_t *self = zs_calloc(1, sizeof *self);
    self->agents = zhashx_new();
    zhashx_set_destructor(self->agents, s_agent_destroy);
    self->capable = zhashx_new();
    zhashx_set_destructor(self->capable, s_set_destroy);
    return self;
}

void
zs_registry_destroy(zs_registry_t **self_p)
{
    assert(self_p);
    zs_registry_t *self = *self_p;
    if (!self) {
        return;
    }
    zhashx_destroy(&self->capable);
    zhashx_destroy(&self->agents);
    free(self);
    *self_p = NULL;
}

static void
s_set_add(zs_registry_t *self, const char *name, zs_agent_t *agent)
{
    zs_agent_set_t *set = zhashx_lookup(self->capable, name);
    if (!set) {
        set = zs_calloc(1, sizeof *set);
        zhashx_insert(self->capable, name, set);
    }
    if (set->count == set->alloc) {
        set->alloc = set->alloc ? set->alloc * 2 : 4;
        set->items = zs_realloc(set->items, set->alloc * sizeof *set->items);
    }
    set->items[set->count++] = agent;
}

static void
s_set_remove(zs_registry_t *self, const char *name, zs_agent_t *agent)
{
    zs_agent_set_t *set = zhashx_lookup(self->capable, name);
    for (size_t i = 0; set && i < set->count; i++) {
        if (set->items[i] == agent) {
            set->items[i] = set->items[--set->count];
            break;
        }
    }
    if (set && set->count == 0) {
        zhashx_delete(self->capable, name);
    }
}

static void
s_cap_add(zs_agent_t *agent, const char *cap)
{
    if (streq(cap, agent->atype)) {
        return;
    }
    for (size_t i = 0; i < agent->cap_count; i++) {
        if (streq(agent->caps[i], cap)) {
            return;
        }
    }
    agent->caps[agent->cap_count++] = zs_strdup(cap);
}

zs_agent_t *
zs_registry_add(zs_registry_t *self,
                const char *id,
                const zs_msg_t *hello,
                unsigned conc,
                char *const *type_caps,
                size_t type_cap_count)
{
    assert(self);
    assert(id);
    assert(!zhashx_lookup(self->agents, id));
    zs_agent_t *agent = zs_calloc(1, sizeof *agent);
    agent->id = zs_strdup(id);
    agent->atype = zs_strdup(hello->atype);
    agent->host = zs_strdup(hello->host ? hello->host : "");
    agent->pid = hello->pid;
    agent->conc = conc;
    agent->conc_max = conc;
    agent->joined = ++self->joined;
    zs_trust_init(&agent->trust, zclock_mono());
    agent->caps = zs_calloc(hello->caps.count + type_cap_count, sizeof *agent->caps);
    for (size_t i = 0; i < hello->caps.count; i++) {
        s_cap_add(agent, hello->caps.items[i]);
    }
    for (size_t i = 0; i < type_cap_count; i++) {
        s_cap_add(agent, type_caps[i]);
    }
    zhashx_insert(self->agents, id, agent);
    s_set_add(self, agent->atype, agent);
    for (size_t i = 0; i < agent->cap_count; i++) {
        s_set_add(self, agent->caps[i], agent);
    }
    return agent;
}

void
zs_registry_watch(zs_registry_t *self, zs_registry_watch_fn *fn, void *ctx)
{
    assert(self);
    self->watch = fn;
    self->watch_ctx = ctx;
}

void
zs_registry_remove(zs_registry_t *self, zs_agent_t **agent_p)
{
    assert(self);
    assert(agent_p);
    zs_agent_t *agent = *agent_p;
    if (!agent) {
        return;
    }
    assert(agent->tasks.count == 0);
    if (self->watch) {
        self->watch(self->watch_ctx, agent);
    }
    assert(agent->backlog.count == 0);
    s_set_remove(self, agent->atype, agent);
    for (size_t i = 0; i < agent->cap_count; i++) {
        s_set_remove(self, agent->caps[i], agent);
    }
    zhashx_delete(self->agents, agent->id);
    *agent_p = NULL;
}

zs_agent_t *
zs_registry_find(zs_registry_t *self, const char *id)
{
    return zhashx_lookup(self->agents, id);
}

const zs_agent_set_t *
zs_registry_capable(zs_registry_t *self, const char *ttype)
{
    return zhashx_lookup(self->capable, ttype);
}

size_t
zs_registry_size(zs_registry_t *self)
{
    return zhashx_size(self->agents);
}

zs_agent_t *
zs_registry_first(zs_registry_t *self)
{
    return zhashx_first(self->agents);
}

zs_agent_t *
zs_registry_next(zs_registry_t *self)
{
    return zhashx_next(self->agents);
}

void
zs_agent_task_link(zs_agent_t *agent, zs_task_t *task)
{
    zs_list_prepend(&agent->tasks, &task->link);
    task->agent = agent;
    agent->load++;
}

//  An EWMA, so that an agent that slows down (or recovers) shows it within a few
//  attempts; its first attempt sets it outright
static void
s_agent_measure(zs_agent_t *agent, const zs_task_t *task)
{
    int64_t held = zclock_mono() - task->assigned_ms;
    double sample = held > 0 ? (double) held : 0.0;
    agent->hold_ms = agent->samples++ == 0 ? sample
                                           : agent->hold_ms + (sample - agent->hold_ms) /
                                                                  ZS_REGISTRY_HOLD_WEIGHT;
}

void
zs_agent_task_unlink(zs_agent_t *agent, zs_task_t *task)
{
    assert(task->agent == agent);
    s_agent_measure(agent, task);
    zs_list_unlink(&agent->tasks, &task->link);
    task->agent = NULL;
    //  A lent slot was not counted: the attempt's end takes nothing more from the load
    agent->load -= task->family.lent ? 0 : 1;
    task->family.lent = 0;
}

void
zs_agent_task_lend(zs_task_t *task)
{
    if (task->agent && task->family.lent++ == 0) {
        task->agent->load--;
    }
}

void
zs_agent_task_reclaim(zs_task_t *task)
{
    if (task->agent && task->family.lent && --task->family.lent == 0) {
        task->agent->load++;
    }
}

static bool
s_agent_has(const zs_agent_t *agent, const char *name)
{
    if (streq(agent->atype, name)) {
        return true;
    }
    for (size_t i = 0; i < agent->cap_count; i++) {
        if (streq(agent->caps[i], name)) {
            return true;
        }
    }
    return false;
}

bool
zs_agent_has_all(const zs_agent_t *agent, char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!s_agent_has(agent, list[i])) {
            return false;
        }
    }
    return true;
}

void
zs_agent_record(zs_agent_t *agent, const char *status)
{
    zs_trust_outcome_t outcome = ZS_TRUST_FAILURE;
    if (streq(status, "ok")) {
        agent->done++;
        outcome = ZS_TRUST_SUCCESS;
    } else {
        agent->failed++;
        outcome = streq(status, "timeout") ? ZS_TRUST_TIMEOUT : ZS_TRUST_FAILURE;
    }
    zs_trust_record(&agent->trust, outcome, zclock_mono());
}

bool
zs_agent_fits(const zs_agent_t *agent,
              char *const *list,
              size_t count,
              zs_task_route_t route,
              const char *target)
{
    if (target && !streq(target, agent->id)) {
        return false;
    }
    if (route != ZS_ROUTE_ANY && agent->place.lead != (route == ZS_ROUTE_LEAD)) {
        return false;
    }
    //  A team task's requires choose the worker its lead delegates it to
    return route == ZS_ROUTE_LEAD || zs_agent_has_all(agent, list, count);
}

bool
zs_agent_can_run(const zs_agent_t *agent, const zs_task_t *task)
{
    return s_agent_has(agent, task->ttype) &&
           zs_agent_fits(agent, task->requires, task->require_count, task->route,
                         task->target);
}

unsigned
zs_agent_room(const zs_agent_t *agent)
{
    unsigned used = agent->load + agent->offers;
    return !agent->paused && agent->conc > used ? agent->conc - used : 0;
}
