//  zs_sched - see zs_sched.h

#include "coordinator/sched/zs_sched.h"

#include <czmq.h>
#include <stdlib.h>

//  A binary heap of the ready tasks of one type that require one set of capabilities
//  and go by one route; each task knows its index in it
typedef struct {
    zs_task_t **items;      //  borrowed tasks, heap-ordered by s_before
    size_t count;           //  items used
    size_t alloc;           //  items allocated
    char **requires;        //  what its tasks require besides their type, owned
    size_t require_count;   //  items in requires
    zs_task_route_t route;  //  the team members its tasks may go to
    char *target;           //  the one agent its tasks may go to, owned, or NULL
} s_heap_t;

//  The queues of one task type: one heap per set of required capabilities, so that an
//  agent finds the best task it can run by looking at the top of each
typedef struct {
    s_heap_t **heaps;  //  owned
    size_t count;      //  heaps used
    size_t alloc;      //  heaps allocated
} s_type_t;

struct zs_sched_t {
    zs_registry_t *registry;  //  borrowed
    zhashx_t *queues;         //  task type -> s_type_t *, owned
    zhashx_t *auctions;       //  task id -> zs_auction_t *, owned
    size_t queued;            //  tasks in all queues
    size_t backlogged;        //  tasks in all backlogs
    uint64_t clock;           //  counts picks, for the least-recently-picked rules
    bool requeued;            //  backlogged tasks went back to the queues
};

//  True when a should run before b
static bool
s_before(const zs_task_t *a, const zs_task_t *b)
{
    return a->pri != b->pri ? a->pri > b->pri : a->order < b->order;
}

//  ---------------------------------------------------------------------------------
//  Heaps

static void
s_heap_place(s_heap_t *heap, size_t index, zs_task_t *task)
{
    heap->items[index] = task;
    task->heap_index = index;
}

static void
s_heap_up(s_heap_t *heap, size_t index)
{
    zs_task_t *task = heap->items[index];
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (!s_before(task, heap->items[parent])) {
            break;
        }
        s_heap_place(heap, index, heap->items[parent]);
        index = parent;
    }
    s_heap_place(heap, index, task);
}

static void
s_heap_down(s_heap_t *heap, size_t index)
{
    zs_task_t *task = heap->items[index];
    for (;;) {
        size_t child = 2 * index + 1;
        if (child >= heap->count) {
            break;
        }
        if (child + 1 < heap->count &&
            s_before(heap->items[child + 1], heap->items[child])) {
            child++;
        }
        if (!s_before(heap->items[child], task)) {
            break;
        }
        s_heap_place(heap, index, heap->items[child]);
        index = child;
    }
    s_heap_place(heap, index, task);
}

static void
s_heap_push(s_heap_t *heap, zs_task_t *task)
{
    if (heap->count == heap->alloc) {
        heap->alloc = heap->alloc ? heap->alloc * 2 : 64;
        heap->items = zs_realloc(heap->items, heap->alloc * sizeof *heap->items);
    }
    s_heap_place(heap, heap->count++, task);
    s_heap_up(heap, heap->count - 1);
}

static void
s_heap_remove(s_heap_t *heap, zs_task_t *task)
{
    size_t index = task->heap_index;
    assert(index < heap->count && heap->items[index] == task);
    task->heap_index = SIZE_MAX;
    zs_task_t *last = heap->items[--heap->count];
    if (index == heap->count) {
        return;
    }
    s_heap_place(heap, index, last);
    s_heap_up(heap, index);
    s_heap_down(heap, last->heap_index);
}

static s_heap_t *
s_heap_new(const zs_task_t *task)
{
    s_heap_t *heap = zs_calloc(1, sizeof *heap);
    heap->requires =
        zs_strings_copy((const char *const *) task->requires, task->require_count);
    heap->require_count = task->require_count;
    heap->route = task->route;
    heap->target = task->target ? zs_strdup(task->target) : NULL;
    return heap;
}

static void
s_heap_destroy(s_heap_t **heap_p)
{
    s_heap_t *heap = *heap_p;
    zs_strings_free(heap->requires, heap->require_count);
    free(heap->target);
    free(heap->items);
    free(heap);
    *heap_p = NULL;
}

//  ---------------------------------------------------------------------------------
//  Queues: task type -> heaps

static void
s_type_destroy(void **item)
{
    s_type_t *type = *item;
    for (size_t i = 0; i < type->count; i++) {
        s_heap_destroy(&type->heaps[i]);
    }
    free(type->heaps);
    free(type);
    *item = NULL;
}

//  True when every name of a is in b
static bool
s_subset(char *const *a, size_t a_count, char *const *b, size_t b_count)
{
    for (size_t i = 0; i < a_count; i++) {
        size_t j = 0;
        while (j < b_count && !streq(a[i], b[j])) {
            j++;
        }
        if (j == b_count) {
            return false;
        }
    }
    return true;
}

//  True when both are NULL or both the same string
static bool
s_same_target(const char *a, const char *b)
{
    return a == b || (a && b && streq(a, b));
}

//  The queue of a task type, set of required capabilities, route and target, or NULL
static s_heap_t *
s_heap_find_set(zs_sched_t *self,
                const char *ttype,
                char *const *requires,
                size_t require_count,
                zs_task_route_t route,
                const char *target)
{
    s_type_t *type = zhashx_lookup(self->queues, ttype);
    for (size_t i = 0; type && i < type->count; i++) {
        s_heap_t *heap = type->heaps[i];
        if (heap->route == route && s_same_target(heap->target, target) &&
            s_subset(requires, require_count, heap->requires, heap->require_count) &&
            s_subset(heap->requires, heap->require_count, requires, require_count)) {
            return heap;
        }
    }
    return NULL;
}

//  The queue of the task's type and required capabilities, or NULL
static s_heap_t *
s_heap_find(zs_sched_t *self, const zs_task_t *task)
{
    return s_heap_find_set(self, task->ttype, task->requires, task->require_count,
                           task->route, task->target);
}

bool
zs_sched_admits(zs_sched_t *self,
                const char *ttype,
                char *const *requires,
                size_t require_count,
                zs_task_route_t route,
                const char *target)
{
    assert(self);
    s_type_t *type = zhashx_lookup(self->queues, ttype);
    return !type || type->count < ZS_SCHED_SETS_MAX ||
           s_heap_find_set(self, ttype, requires, require_count, route, target);
}

static s_heap_t *
s_heap_add(zs_sched_t *self, const zs_task_t *task)
{
    s_type_t *type = zhashx_lookup(self->queues, task->ttype);
    if (!type) {
        type = zs_calloc(1, sizeof *type);
        zhashx_insert(self->queues, task->ttype, type);
    }
    if (type->count == type->alloc) {
        type->alloc = type->alloc ? type->alloc * 2 : 2;
        type->heaps = zs_realloc(type->heaps, type->alloc * sizeof *type->heaps);
    }
    type->heaps[type->count] = s_heap_new(task);
    return type->heaps[type->count++];
}

static void
s_dequeue(zs_sched_t *self, zs_task_t *task)
{
    s_heap_remove(s_heap_find(self, task), task);
    self->queued--;
}

void
zs_sched_push(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    assert(task->heap_index == SIZE_MAX && !task->backlog);
    s_heap_t *heap = s_heap_find(self, task);
    s_heap_push(heap ? heap : s_heap_add(self, task), task);
    self->queued++;
}

size_t
zs_sched_variants(zs_sched_t *self, const char *ttype)
{
    assert(self);
    s_type_t *type = zhashx_lookup(self->queues, ttype);
    return type ? type->count : 0;
}

zs_task_t *
zs_sched_peek(zs_sched_t *self, const char *ttype, size_t variant)
{
    assert(self);
    s_type_t *type = zhashx_lookup(self->queues, ttype);
    if (!type || variant >= type->count || type->heaps[variant]->count == 0) {
        return NULL;
    }
    return type->heaps[variant]->items[0];
}

static void
s_string_free(void **item)
{
    free(*item);
    *item = NULL;
}

zlistx_t *
zs_sched_queued_types(zs_sched_t *self)
{
    assert(self);
    zlistx_t *names = zlistx_new();
    zlistx_set_destructor(names, s_string_free);
    for (s_type_t *type = zhashx_first(self->queues); type;
         type = zhashx_next(self->queues)) {
        size_t i = 0;
        while (i < type->count && type->heaps[i]->count == 0) {
            i++;
        }
        if (i < type->count) {
            zlistx_add_end(names, zs_strdup(zhashx_cursor(self->queues)));
        }
    }
    return names;
}

//  The queue holding the best task agent can run among those of one type, or best
static s_heap_t *
s_best_heap(zs_sched_t *self, const zs_agent_t *agent, const char *ttype, s_heap_t *best)
{
    s_type_t *type = zhashx_lookup(self->queues, ttype);
    for (size_t i = 0; type && i < type->count; i++) {
        s_heap_t *heap = type->heaps[i];
        if (heap->count &&
            zs_agent_fits(agent, heap->requires, heap->require_count, heap->route,
                          heap->target) &&
            (!best || s_before(heap->items[0], best->items[0]))) {
            best = heap;
        }
    }
    return best;
}

static zs_task_t *
s_dequeue_for(zs_sched_t *self, const zs_agent_t *agent)
{
    s_heap_t *best = s_best_heap(self, agent, agent->atype, NULL);
    for (size_t i = 0; i < agent->cap_count; i++) {
        best = s_best_heap(self, agent, agent->caps[i], best);
    }
    if (!best) {
        return NULL;
    }
    zs_task_t *task = best->items[0];
    s_heap_remove(best, task);
    self->queued--;
    return task;
}

//  ---------------------------------------------------------------------------------
//  Choosing an agent

//  True when agent a is a better choice than b
typedef bool(s_better_fn)(const zs_agent_t *a, const zs_agent_t *b);

static bool
s_less_loaded(const zs_agent_t *a, const zs_agent_t *b)
{
    //  busy/conc compared without division: a.busy/a.conc < b.busy/b.conc
    uint64_t a_busy = (uint64_t) a->load + a->offers,
             b_busy = (uint64_t) b->load + b->offers;
    uint64_t left = a_busy * b->conc, right = b_busy * a->conc;
    if (left != right) {
        return left < right;
    }
    if (a_busy != b_busy) {
        return a_busy < b_busy;
    }
    return a->picked < b->picked;
}

static bool
s_earlier_turn(const zs_agent_t *a, const zs_agent_t *b)
{
    return a->picked != b->picked ? a->picked < b->picked : a->joined < b->joined;
}

static bool
s_more_specialised(const zs_agent_t *a, const zs_agent_t *b)
{
    return a->cap_count != b->cap_count ? a->cap_count < b->cap_count
                                        : s_less_loaded(a, b);
}

static bool
s_better_fit(const zs_agent_t *a, const zs_agent_t *b)
{
    double a_score = zs_sched_score(a), b_score = zs_sched_score(b);
    return a_score < b_score || (!(b_score < a_score) && s_less_loaded(a, b));
}

static s_better_fn *const s_choices[ZS_STRATEGY_COUNT] = {
    [ZS_STRATEGY_DEFAULT] = s_less_loaded,
    [ZS_STRATEGY_ROUND_ROBIN] = s_earlier_turn,
    [ZS_STRATEGY_LEAST_LOADED] = s_less_loaded,
    [ZS_STRATEGY_CAPABILITY] = s_more_specialised,
    [ZS_STRATEGY_BEST_FIT] = s_better_fit,
    [ZS_STRATEGY_WORK_STEALING] = s_less_loaded,
    [ZS_STRATEGY_AUCTION] = s_less_loaded,
};

double
zs_sched_score(const zs_agent_t *agent)
{
    assert(agent);
    double busy = (double) agent->load + agent->offers;
    double conc = agent->conc ? agent->conc : 1;
    double success = zs_trust_score(&agent->trust, zclock_mono());
    //  Squared: a failed attempt costs its own time, then another attempt elsewhere, so
    //  an agent that fails fast must not look fast
    return (agent->hold_ms + 1) * (1 + busy / conc) / (success * success);
}

zs_agent_t *
zs_sched_pick(zs_sched_t *self, const zs_task_t *task, zs_strategy_t strategy)
{
    assert(self);
    assert(task);
    assert(strategy < ZS_STRATEGY_COUNT);
    s_better_fn *better = s_choices[strategy];
    const zs_agent_set_t *set = zs_registry_capable(self->registry, task->ttype);
    zs_agent_t *best = NULL;
    for (size_t i = 0; set && i < set->count; i++) {
        zs_agent_t *agent = set->items[i];
        if (zs_agent_room(agent) > 0 &&
            zs_agent_fits(agent, task->requires, task->require_count, task->route,
                          task->target) &&
            (!best || better(agent, best))) {
            best = agent;
        }
    }
    if (best) {
        best->picked = ++self->clock;
    }
    return best;
}

//  ---------------------------------------------------------------------------------
//  Backlogs: a list per agent through the tasks' links

static void
s_backlog_append(zs_sched_t *self, zs_agent_t *agent, zs_task_t *task)
{
    zs_list_append(&agent->backlog, &task->link);
    task->backlog = agent;
    self->backlogged++;
}

static void
s_backlog_remove(zs_sched_t *self, zs_task_t *task)
{
    zs_list_unlink(&task->backlog->backlog, &task->link);
    task->backlog = NULL;
    self->backlogged--;
}

//  True when a has fewer tasks running, reserved and backlogged per slot than b
static bool
s_shorter_queue(const zs_agent_t *a, const zs_agent_t *b)
{
    uint64_t a_tasks = (uint64_t) a->load + a->offers + a->backlog.count;
    uint64_t b_tasks = (uint64_t) b->load + b->offers + b->backlog.count;
    uint64_t left = a_tasks * b->conc, right = b_tasks * a->conc;
    return left != right ? left < right : a->picked < b->picked;
}

zs_agent_t *
zs_sched_backlog_push(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    assert(task->heap_index == SIZE_MAX && !task->backlog);
    const zs_agent_set_t *set = zs_registry_capable(self->registry, task->ttype);
    zs_agent_t *best = NULL;
    for (size_t i = 0; set && i < set->count; i++) {
        zs_agent_t *agent = set->items[i];
        if (agent->conc > 0 && !agent->paused &&
            zs_agent_fits(agent, task->requires, task->require_count, task->route,
                          task->target) &&
            (!best || s_shorter_queue(agent, best))) {
            best = agent;
        }
    }
    if (best) {
        s_backlog_append(self, best, task);
        best->picked = ++self->clock;
    }
    return best;
}

//  The task nearest the tail of victim's backlog that thief can run, or NULL
static zs_task_t *
s_loot(const zs_agent_t *victim, const zs_agent_t *thief)
{
    for (zs_link_t *link = victim->backlog.tail; link; link = link->prev) {
        if (zs_agent_can_run(thief, zs_task_of(link))) {
            return zs_task_of(link);
        }
    }
    return NULL;
}

//  Among agents able to run ttype, the longest backlog holding a task thief can run
//  (ties to the earlier registered agent), if longer than victim's; its task in *loot_p
static zs_agent_t *
s_victim(zs_sched_t *self,
         const zs_agent_t *thief,
         const char *ttype,
         zs_agent_t *victim,
         zs_task_t **loot_p)
{
    const zs_agent_set_t *set = zs_registry_capable(self->registry, ttype);
    for (size_t i = 0; set && i < set->count; i++) {
        zs_agent_t *agent = set->items[i];
        if (agent == thief || agent->backlog.count == 0 ||
            (victim && (agent->backlog.count < victim->backlog.count ||
                        (agent->backlog.count == victim->backlog.count &&
                         agent->joined > victim->joined)))) {
            continue;
        }
        zs_task_t *loot = s_loot(agent, thief);
        if (loot) {
            victim = agent;
            *loot_p = loot;
        }
    }
    return victim;
}

static zs_task_t *
s_steal(zs_sched_t *self, const zs_agent_t *thief)
{
    zs_task_t *loot = NULL;
    zs_agent_t *victim = s_victim(self, thief, thief->atype, NULL, &loot);
    for (size_t i = 0; i < thief->cap_count; i++) {
        victim = s_victim(self, thief, thief->caps[i], victim, &loot);
    }
    if (loot) {
        s_backlog_remove(self, loot);
    }
    return loot;
}

zs_task_t *
zs_sched_next_task(zs_sched_t *self, zs_agent_t *agent)
{
    assert(self);
    assert(agent);
    zs_task_t *task = agent->backlog.head ? zs_task_of(agent->backlog.head) : NULL;
    if (task) {
        s_backlog_remove(self, task);
    } else {
        task = s_dequeue_for(self, agent);
    }
    if (!task) {
        task = s_steal(self, agent);
    }
    if (task) {
        agent->picked = ++self->clock;
    }
    return task;
}

//  ---------------------------------------------------------------------------------
//  Auctions

static void
s_auction_destroy(void **item)
{
    zs_auction_destroy((zs_auction_t **) item);
}

zs_auction_t *
zs_sched_auction_open(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    assert(task->heap_index == SIZE_MAX && !task->backlog);
    const zs_agent_set_t *set = zs_registry_capable(self->registry, task->ttype);
    zs_auction_t *auction = NULL;
    for (size_t i = 0; set && i < set->count; i++) {
        zs_agent_t *agent = set->items[i];
        if (zs_agent_room(agent) > 0 &&
            zs_agent_fits(agent, task->requires, task->require_count, task->route,
                          task->target)) {
            if (!auction) {
                auction = zs_auction_new(task);
            }
            zs_auction_offer(auction, agent);
        }
    }
    if (auction) {
        int rc = zhashx_insert(self->auctions, task->id, auction);
        assert(rc == 0);
        (void) rc;
    }
    return auction;
}

zs_auction_t *
zs_sched_auction_find(zs_sched_t *self, const char *task_id)
{
    assert(self);
    return zhashx_lookup(self->auctions, task_id);
}

zs_auction_t *
zs_sched_auction_by_timer(zs_sched_t *self, int timer_id)
{
    assert(self);
    for (zs_auction_t *auction = zhashx_first(self->auctions); auction;
         auction = zhashx_next(self->auctions)) {
        if (auction->timer_id == timer_id) {
            return auction;
        }
    }
    return NULL;
}

zs_agent_t *
zs_sched_auction_close(zs_sched_t *self, zs_auction_t **auction_p)
{
    assert(self);
    assert(auction_p && *auction_p);
    zs_auction_t *auction = *auction_p;
    const zs_task_t *task = auction->task;
    zs_agent_t *winner = zs_auction_close(auction);
    if (winner) {
        winner->picked = ++self->clock;
    } else {
        winner = zs_sched_pick(self, task, ZS_STRATEGY_LEAST_LOADED);
    }
    zhashx_delete(self->auctions, task->id);
    *auction_p = NULL;
    return winner;
}

//  ---------------------------------------------------------------------------------
//  Life cycle and housekeeping

void
zs_sched_backlog_release(zs_sched_t *self, zs_agent_t *agent)
{
    assert(self);
    assert(agent);
    while (agent->backlog.head) {
        zs_task_t *task = zs_task_of(agent->backlog.head);
        s_backlog_remove(self, task);
        zs_sched_push(self, task);
        self->requeued = true;
    }
}

//  The registry's watcher: an agent leaves, and nothing of ours may point to it after
static void
s_agent_leaving(void *ctx, zs_agent_t *agent)
{
    zs_sched_t *self = ctx;
    zs_sched_backlog_release(self, agent);
    for (zs_auction_t *auction = zhashx_first(self->auctions); auction;
         auction = zhashx_next(self->auctions)) {
        zs_auction_forget(auction, agent);
    }
}

zs_sched_t *
zs_sched_new(zs_registry_t *registry)
{
    assert(registry);
    zs_sched_t *self = zs_calloc(1, sizeof *self);
    self->registry = registry;
    self->queues = zhashx_new();
    zhashx_set_destructor(self->queues, s_type_destroy);
    self->auctions = zhashx_new();
    zhashx_set_destructor(self->auctions, s_auction_destroy);
    zs_registry_watch(registry, s_agent_leaving, self);
    return self;
}

void
zs_sched_destroy(zs_sched_t **self_p)
{
    assert(self_p);
    zs_sched_t *self = *self_p;
    if (!self) {
        return;
    }
    zs_registry_watch(self->registry, NULL, NULL);
    zhashx_destroy(&self->auctions);
    zhashx_destroy(&self->queues);
    free(self);
    *self_p = NULL;
}

void
zs_sched_remove(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    if (task->heap_index != SIZE_MAX) {
        s_dequeue(self, task);
    } else if (task->backlog) {
        s_backlog_remove(self, task);
    } else {
        zs_auction_t *auction = zhashx_lookup(self->auctions, task->id);
        if (auction && auction->task == task) {
            //  Its deadline timer may still fire: it then finds no auction
            zhashx_delete(self->auctions, task->id);
        }
    }
}

size_t
zs_sched_queued(zs_sched_t *self)
{
    return self->queued + self->backlogged + zhashx_size(self->auctions);
}

bool
zs_sched_requeued(zs_sched_t *self)
{
    bool requeued = self->requeued;
    self->requeued = false;
    return requeued;
}

//  Drop the empty heaps of a type; true when none is left
static bool
s_type_sweep(s_type_t *type)
{
    size_t kept = 0;
    for (size_t i = 0; i < type->count; i++) {
        if (type->heaps[i]->count) {
            type->heaps[kept++] = type->heaps[i];
        } else {
            s_heap_destroy(&type->heaps[i]);
        }
    }
    type->count = kept;
    return kept == 0;
}

void
zs_sched_sweep(zs_sched_t *self)
{
    assert(self);
    zlistx_t *empty = zlistx_new();
    for (s_type_t *type = zhashx_first(self->queues); type;
         type = zhashx_next(self->queues)) {
        if (s_type_sweep(type)) {
            zlistx_add_end(empty, (void *) (uintptr_t) zhashx_cursor(self->queues));
        }
    }
    for (const char *key = zlistx_first(empty); key; key = zlistx_next(empty)) {
        zhashx_delete(self->queues, key);
    }
    zlistx_destroy(&empty);
}
