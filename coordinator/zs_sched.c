//  zs_sched - see zs_sched.h

#include "zs_sched.h"

#include <czmq.h>
#include <stdlib.h>

//  A binary heap of ready tasks of one type; each task knows its index in it
typedef struct {
    zs_task_t **items;  //  borrowed tasks, heap-ordered by s_before
    size_t count;       //  items used
    size_t alloc;       //  items allocated
} s_heap_t;

struct zs_sched_t {
    zs_registry_t *registry;  //  borrowed
    zhashx_t *queues;         //  task type -> s_heap_t *, owned
    size_t queued;            //  tasks in all queues
    uint64_t clock;           //  counts picks, for the least-recently-picked tie-break
};

//  True when a should run before b
static bool
s_before(const zs_task_t *a, const zs_task_t *b)
{
    return a->pri != b->pri ? a->pri > b->pri : a->order < b->order;
}

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

static void
s_heap_destroy(void **item)
{
    s_heap_t *heap = *item;
    free(heap->items);
    free(heap);
    *item = NULL;
}

zs_sched_t *
zs_sched_new(zs_registry_t *registry)
{
    assert(registry);
    zs_sched_t *self = zs_calloc(1, sizeof *self);
    self->registry = registry;
    self->queues = zhashx_new();
    zhashx_set_destructor(self->queues, s_heap_destroy);
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
    zhashx_destroy(&self->queues);
    free(self);
    *self_p = NULL;
}

void
zs_sched_push(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    s_heap_t *heap = zhashx_lookup(self->queues, task->ttype);
    if (!heap) {
        heap = zs_calloc(1, sizeof *heap);
        zhashx_insert(self->queues, task->ttype, heap);
    }
    s_heap_push(heap, task);
    self->queued++;
}

void
zs_sched_remove(zs_sched_t *self, zs_task_t *task)
{
    assert(self);
    assert(task);
    if (task->heap_index == SIZE_MAX) {
        return;
    }
    s_heap_remove(zhashx_lookup(self->queues, task->ttype), task);
    self->queued--;
}

size_t
zs_sched_queued(zs_sched_t *self)
{
    return self->queued;
}

//  True when a is a better choice than b for least-loaded
static bool
s_less_loaded(const zs_agent_t *a, const zs_agent_t *b)
{
    //  load/conc compared without division: a.load/a.conc < b.load/b.conc
    uint64_t left = (uint64_t) a->load * b->conc, right = (uint64_t) b->load * a->conc;
    if (left != right) {
        return left < right;
    }
    if (a->load != b->load) {
        return a->load < b->load;
    }
    return a->picked < b->picked;
}

zs_agent_t *
zs_sched_pick_agent(zs_sched_t *self, const char *ttype)
{
    assert(self);
    assert(ttype);
    const zs_agent_set_t *set = zs_registry_capable(self->registry, ttype);
    zs_agent_t *best = NULL;
    for (size_t i = 0; set && i < set->count; i++) {
        zs_agent_t *agent = set->items[i];
        if (agent->load < agent->conc && (!best || s_less_loaded(agent, best))) {
            best = agent;
        }
    }
    if (best) {
        best->picked = ++self->clock;
    }
    return best;
}

static s_heap_t *
s_nonempty(zs_sched_t *self, const char *ttype)
{
    s_heap_t *heap = zhashx_lookup(self->queues, ttype);
    return heap && heap->count ? heap : NULL;
}

zs_task_t *
zs_sched_next_task(zs_sched_t *self, zs_agent_t *agent)
{
    assert(self);
    assert(agent);
    s_heap_t *best = s_nonempty(self, agent->atype);
    for (size_t i = 0; i < agent->cap_count; i++) {
        s_heap_t *heap = s_nonempty(self, agent->caps[i]);
        if (heap && (!best || s_before(heap->items[0], best->items[0]))) {
            best = heap;
        }
    }
    if (!best) {
        return NULL;
    }
    zs_task_t *task = best->items[0];
    s_heap_remove(best, task);
    self->queued--;
    agent->picked = ++self->clock;
    return task;
}

zs_task_t *
zs_sched_peek(zs_sched_t *self, const char *ttype)
{
    assert(self);
    s_heap_t *heap = s_nonempty(self, ttype);
    return heap ? heap->items[0] : NULL;
}

zs_task_t *
zs_sched_pop(zs_sched_t *self, const char *ttype)
{
    assert(self);
    s_heap_t *heap = s_nonempty(self, ttype);
    if (!heap) {
        return NULL;
    }
    zs_task_t *task = heap->items[0];
    s_heap_remove(heap, task);
    self->queued--;
    return task;
}

void
zs_sched_sweep(zs_sched_t *self)
{
    assert(self);
    zlistx_t *empty = zlistx_new();
    for (s_heap_t *heap = zhashx_first(self->queues); heap;
         heap = zhashx_next(self->queues)) {
        if (heap->count == 0) {
            zlistx_add_end(empty, (void *) (uintptr_t) zhashx_cursor(self->queues));
        }
    }
    for (const char *key = zlistx_first(empty); key; key = zlistx_next(empty)) {
        zhashx_delete(self->queues, key);
    }
    zlistx_destroy(&empty);
}
