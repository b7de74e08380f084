//  zs_tasks - see zs_tasks.h

#include "coordinator/core/zs_tasks.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "coordinator/sched/zs_registry.h"
#include "coordinator/swarm/zs_topology.h"

//  A client or an agent waiting for a task to end
struct zs_waiter_t {
    zs_client_ref_t client;  //  where the reply goes, unless peer is set
    zs_peer_t *peer;         //  an agent's session, borrowed, or NULL
    uint64_t rid;            //  request id to echo
    //  The task whose slot the wait lends (PROTOCOL.md §7.4), by id and attempt: it may
    //  end first, and its id be used again
    char lender[ZS_MSG_NAME_MAX + 1];  //  empty when none
    unsigned lender_att;               //  the attempt that lent it
    zs_waiter_t *next;                 //  next waiter of the same task
};

//  The wait is over: its lender's slot counts again, if that attempt still runs
static void
s_waiter_free(zs_tasks_t *self, zs_waiter_t *waiter)
{
    zs_task_t *lender =
        self && waiter->lender[0] ? zs_tasks_find(self, waiter->lender) : NULL;
    if (lender && lender->att == waiter->lender_att) {
        zs_agent_task_reclaim(lender);
    }
    free(waiter);
}

//  Answer every waiter of task with reply (its rid set per waiter), or with nothing when
//  reply is NULL, and forget them
static void
s_answer(zs_tasks_t *self, zs_task_t *task, zs_msg_t *reply)
{
    zs_waiter_t *waiter = task->waiters;
    while (waiter) {
        zs_waiter_t *next = waiter->next;
        if (reply) {
            zs_core_asker_t asker = {waiter->peer ? NULL : &waiter->client, waiter->peer};
            zs_core_answer(self->core, &asker, reply, waiter->rid);
        }
        s_waiter_free(self, waiter);
        waiter = next;
    }
    task->waiters = NULL;
}

static void
s_task_destroy(void **item)
{
    zs_task_t *task = *item;
    s_answer(NULL, task, NULL);
    zs_task_destroy(&task);
    *item = NULL;
}

void
zs_tasks_init(zs_tasks_t *self, zs_core_t *core)
{
    assert(self);
    assert(core);
    *self = (zs_tasks_t){.core = core};
    self->table = zhashx_new();
    zhashx_set_destructor(self->table, s_task_destroy);
    //  Made-up ids differ between runs, so a restarted coordinator never reuses one
    if (getrandom(&self->nonce, sizeof self->nonce, 0) != sizeof self->nonce) {
        self->nonce = (uint32_t) zclock_usecs() ^ (uint32_t) getpid();
    }
}

void
zs_tasks_fini(zs_tasks_t *self)
{
    assert(self);
    zhashx_destroy(&self->table);
}

zs_task_t *
zs_tasks_find(zs_tasks_t *self, const char *id)
{
    return zhashx_lookup(self->table, id);
}

zs_task_t *
zs_tasks_first(zs_tasks_t *self)
{
    return zhashx_first(self->table);
}

zs_task_t *
zs_tasks_next(zs_tasks_t *self)
{
    return zhashx_next(self->table);
}

zs_task_t *
zs_tasks_oldest_kept(zs_tasks_t *self)
{
    return self->kept.head ? zs_task_of(self->kept.head) : NULL;
}

static int
s_by_order(const void *a, const void *b)
{
    const zs_task_t *x = *(const zs_task_t *const *) a,
                    *y = *(const zs_task_t *const *) b;
    return x->order < y->order ? -1 : x->order > y->order;
}

zs_task_t **
zs_tasks_unfinished(zs_tasks_t *self, zs_tasks_which_t which, size_t *count_p)
{
    zs_task_t **tasks = zs_calloc(self->unfinished + 1, sizeof *tasks);
    size_t n = 0;
    for (zs_task_t *task = zhashx_first(self->table); task;
         task = zhashx_next(self->table)) {
        bool wanted = which == ZS_TASKS_ALL || task->route != ZS_ROUTE_WORKER;
        if (!zs_task_is_final(task) && wanted && n < self->unfinished) {
            tasks[n++] = task;
        }
    }
    qsort(tasks, n, sizeof *tasks, s_by_order);
    *count_p = n;
    return tasks;
}

void
zs_tasks_new_id(zs_tasks_t *self, char *id, size_t size)
{
    uint64_t order = self->order + 1;
    snprintf(id, size, "%08x%08" PRIx64, self->nonce, order);
    //  Made unique if a client happened to choose the same id
    for (unsigned n = 1; zhashx_lookup(self->table, id); n++) {
        snprintf(id, size, "%08x%08" PRIx64 "-%u", self->nonce, order, n);
    }
}

//  ---------------------------------------------------------------------------------------
//  Bytes

int
zs_tasks_check(zs_tasks_t *self, size_t count, size_t bytes, zs_error_t *err)
{
    const zs_swarm_t *swarm = self->core->swarm;
    if (self->unfinished + count > swarm->max_queue) {
        return zs_error_set(
            err, ZS_ERR_QUEUE_FULL,
            "unfinished tasks would number more than %u (tasks.max_queue)",
            swarm->max_queue);
    }
    if (self->queued + bytes > swarm->max_queue_bytes) {
        return zs_error_set(err, ZS_ERR_QUEUE_FULL,
                            "unfinished tasks would hold more than %zu bytes "
                            "(tasks.max_queue_bytes): %zu held, %zu more asked",
                            swarm->max_queue_bytes, self->queued, bytes);
    }
    return 0;
}

size_t
zs_tasks_measure(zs_tasks_t *self, const zs_msg_t *msg)
{
    const zs_swarm_t *swarm = self->core->swarm;
    size_t bytes = zs_task_measure(msg);
    if (zs_topology_ring_task(swarm, msg->ttype)) {
        //  Every stage after the first is an aggregate of the one before
        bytes += (swarm->ring_count - 1) * zs_task_measure_aggregate(1);
    }
    return bytes;
}

void
zs_tasks_charge(zs_tasks_t *self, zs_task_t *task)
{
    assert(!zs_task_is_final(task));
    assert(self->queued >= task->held);
    size_t bytes = zs_task_bytes(task);
    self->queued = self->queued - task->held + bytes;
    task->held = bytes;
}

void
zs_tasks_failed(zs_tasks_t *self, zs_task_t *task)
{
    //  Agents, not clients, decide how much output there is: kept past the bound, it
    //  would make the bound as large as the count of tasks times 128 KiB
    bool retried = task->att < task->tries;
    if (retried && self->queued - task->held + zs_task_bytes(task) >
                       self->core->swarm->max_queue_bytes) {
        zs_task_drop_output(task);
    }
    zs_tasks_charge(self, task);
}

//  ---------------------------------------------------------------------------------------
//  Acceptance

uint64_t
zs_tasks_next_order(zs_tasks_t *self)
{
    return ++self->order;
}

zs_task_t *
zs_tasks_accept(
    zs_tasks_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries)
{
    zs_task_t *task = zs_task_new(id, msg, tmo, tries, zs_tasks_next_order(self));
    zs_tasks_adopt(self, task);
    return task;
}

//  A task of a team's type goes to its lead (ZS_ROUTE_LEAD)
static void
s_route(zs_tasks_t *self, zs_task_t *task)
{
    if (task->route == ZS_ROUTE_ANY &&
        zs_topology_team_task(self->core->swarm, task->ttype)) {
        task->route = ZS_ROUTE_LEAD;
    }
}

//  A subtask joins its parent's children, a level below it
static void
s_adopt_child(zs_tasks_t *self, zs_task_t *task)
{
    zs_task_t *parent =
        task->family.parent ? zs_tasks_find(self, task->family.parent) : NULL;
    if (!parent) {
        return;
    }
    task->family.depth = parent->family.depth + 1;
    zs_task_add_child(parent, task->id);
    if (!zs_task_is_final(parent)) {
        zs_tasks_charge(self, parent);
    }
}

static void
s_insert(zs_tasks_t *self, zs_task_t *task)
{
    s_route(self, task);
    //  Callers refused ids that exist or do not fit: a failure here is a bug
    int rc = zhashx_insert(self->table, task->id, task);
    assert(rc == 0);
    (void) rc;
    s_adopt_child(self, task);
}

void
zs_tasks_adopt(zs_tasks_t *self, zs_task_t *task)
{
    s_insert(self, task);
    self->unfinished++;
    zs_tasks_charge(self, task);
    zs_core_accepted(self->core, task);
}

void
zs_tasks_restore(zs_tasks_t *self, zs_task_t *task)
{
    s_insert(self, task);
    if (zs_task_is_final(task)) {
        zs_tasks_keep(self, task);
    } else {
        self->unfinished++;
        zs_tasks_charge(self, task);
    }
}

//  ---------------------------------------------------------------------------------------
//  Final tasks kept

void
zs_tasks_ended(zs_tasks_t *self, zs_task_t *task)
{
    assert(zs_task_is_final(task));
    self->unfinished--;
}

void
zs_tasks_forget(zs_tasks_t *self, zs_task_t *task)
{
    assert(zs_task_is_final(task));
    zs_list_unlink(&self->kept, &task->link);
    assert(self->results >= task->held);
    self->results -= task->held;
    task->held = 0;
    zhashx_delete(self->table, task->id);
}

void
zs_tasks_keep(zs_tasks_t *self, zs_task_t *task)
{
    const zs_swarm_t *swarm = self->core->swarm;
    assert(self->queued >= task->held);
    //  held is 0 for a task replayed as final (only its result was in the journal)
    self->queued -= task->held;
    zs_task_drop_input(task);
    task->held = zs_task_bytes(task);
    self->results += task->held;
    zs_list_append(&self->kept, &task->link);
    while (self->kept.count > swarm->keep_results ||
           self->results > swarm->keep_results_bytes) {
        zs_tasks_forget(self, zs_tasks_oldest_kept(self));
    }
}

void
zs_tasks_evict_aged(zs_tasks_t *self)
{
    unsigned keep_s = self->core->swarm->keep_results_s;
    if (keep_s == 0) {
        return;
    }
    int64_t oldest = zs_core_wall(self->core) - (int64_t) keep_s * 1000;
    zs_task_t *task;
    while ((task = zs_tasks_oldest_kept(self)) && task->ended_ms < oldest) {
        zs_tasks_forget(self, task);
    }
}

//  ---------------------------------------------------------------------------------------
//  Waiters

bool
zs_tasks_can_wait(const zs_task_t *task)
{
    size_t count = 0;
    for (const zs_waiter_t *waiter = task->waiters; waiter; waiter = waiter->next) {
        count++;
    }
    return count < ZS_TASKS_WAITERS_MAX;
}

int
zs_tasks_wait(zs_tasks_t *self,
              zs_task_t *task,
              const zs_core_asker_t *asker,
              uint64_t rid,
              zs_task_t *lender)
{
    if (!zs_tasks_can_wait(task)) {
        return -1;
    }
    zs_waiter_t *waiter = zs_calloc(1, sizeof *waiter);
    if (asker->client) {
        waiter->client = *asker->client;
    }
    waiter->peer = asker->client ? NULL : asker->peer;
    waiter->rid = rid;
    if (lender) {
        snprintf(waiter->lender, sizeof waiter->lender, "%s", lender->id);
        waiter->lender_att = lender->att;
        zs_agent_task_lend(lender);
    }
    waiter->next = task->waiters;
    task->waiters = waiter;
    if (zs_task_is_final(task)) {
        zs_tasks_answer(self, task);
    }
    return 0;
}

void
zs_tasks_answer(zs_tasks_t *self, zs_task_t *task)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_WAIT_OK);
    zs_task_describe(task, &reply);
    s_answer(self, task, &reply);
}

void
zs_tasks_drop_peer(zs_tasks_t *self, const zs_peer_t *peer)
{
    for (zs_task_t *task = zhashx_first(self->table); task;
         task = zhashx_next(self->table)) {
        zs_waiter_t **at = &task->waiters;
        while (*at) {
            zs_waiter_t *waiter = *at;
            if (waiter->peer == peer) {
                *at = waiter->next;
                s_waiter_free(self, waiter);
            } else {
                at = &waiter->next;
            }
        }
    }
}

void
zs_tasks_fail_waiters(zs_tasks_t *self)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = ZS_ERR_SHUTTING_DOWN;
    error.why = "swarm stopped before the task ended";
    for (zs_task_t *task = zhashx_first(self->table); task;
         task = zhashx_next(self->table)) {
        s_answer(self, task, &error);
    }
}

void
zs_tasks_replayed(zs_tasks_t *self)
{
    const zs_swarm_t *swarm = self->core->swarm;
    if (self->unfinished > swarm->max_queue) {
        zsys_warning(
            "journal '%s': %zu unfinished tasks, more than tasks.max_queue (%u): "
            "submits are refused until they drain",
            swarm->journal_path, self->unfinished, swarm->max_queue);
    }
    if (self->queued > swarm->max_queue_bytes) {
        zsys_warning("journal '%s': unfinished tasks hold %zu bytes, more than "
                     "tasks.max_queue_bytes (%zu): submits are refused until they drain",
                     swarm->journal_path, self->queued, swarm->max_queue_bytes);
    }
}
