//  zs_graph - task graphs: dependencies, fan-out and fan-in (PROTOCOL.md §7.1, §7.2),
//  and the swarm file's workflow
//
//  A task with deps is pending until every one completed. Each dependency keeps links
//  to the tasks waiting for it; when it ends, its links are visited: a completed one
//  counts down its dependants (and gives an aggregate its result), releasing those with
//  none left; a dead or cancelled one dooms them. Dooming a task ends it, which dooms
//  its own dependants in turn: those go through a queue drained by the outermost call,
//  so a long chain costs no stack.
//
//  Every dependency exists before its dependant is accepted, so acceptance order is a
//  topological order and no cycle can form through submits.

#include "coordinator/flow/zs_graph.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

//  A dependant to end as dead, and why
typedef struct {
    zs_task_link_t link;        //  which task
    char why[ZS_MSG_TEXT_MAX];  //  "dependency 'ID' dead"
} s_doomed_t;

//  ---------------------------------------------------------------------------------------
//  Checking a submit

//  "ID.N": the id of a fan-out's item number n (from 1)
static void
s_item_id(char *dest, size_t size, const char *id, size_t n)
{
    snprintf(dest, size, "%s.%zu", id, n);
}

//  Inputs are dependencies too, checked as the others are
static int
s_check_deps(zs_graph_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    size_t count;
    const char **deps = zs_task_deps_of(msg, &count);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        char sample[ZS_MSG_NAME_MAX * 4 + 1];
        if (streq(deps[i], id)) {
            rc = zs_error_set(err, ZS_ERR_INVALID, "a task cannot depend on itself");
        } else if (!zs_tasks_find(self->tasks, deps[i])) {
            rc = zs_error_set(err, ZS_ERR_NO_TASK, "no task '%s' to depend on",
                              zs_sanitize_str(sample, sizeof sample, deps[i]));
        }
    }
    free(deps);
    return rc;
}

static int
s_check_items(zs_graph_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    if (!msg->items.count != !msg->agg) {
        return zs_error_set(err, ZS_ERR_INVALID, "%s",
                            msg->agg ? "'agg' needs 'items'" : "'items' needs 'agg'");
    }
    if (!msg->items.count) {
        return 0;
    }
    if (msg->inputs.count) {
        return zs_error_set(err, ZS_ERR_INVALID, "a fan-out takes no 'inputs'");
    }
    if (msg->payload) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "a fan-out takes 'items', not 'payload'");
    }
    char item[2 * ZS_MSG_NAME_MAX];
    s_item_id(item, sizeof item, id, msg->items.count);
    if (strlen(item) > ZS_MSG_NAME_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "no room for '.N' item ids within %d bytes: use a shorter "
                            "task id",
                            ZS_MSG_NAME_MAX);
    }
    for (size_t n = 1; n <= msg->items.count; n++) {
        s_item_id(item, sizeof item, id, n);
        if (zs_tasks_find(self->tasks, item)) {
            return zs_error_set(err, ZS_ERR_INVALID, "task '%s' exists already", item);
        }
    }
    return 0;
}

//  "ID.N" while aggregate ID waits names one of its items, evicted once it completed:
//  a new task of that id would be taken for the item
static int
s_check_item(zs_graph_t *self, const char *id, zs_error_t *err)
{
    const char *dot = strrchr(id, '.');
    char aggregate_id[ZS_MSG_NAME_MAX + 1];
    if (!dot || dot == id) {
        return 0;
    }
    snprintf(aggregate_id, sizeof aggregate_id, "%.*s", (int) (dot - id), id);
    const zs_task_t *aggregate = zs_tasks_find(self->tasks, aggregate_id);
    if (!aggregate || !aggregate->graph.aggregate ||
        aggregate->state != ZS_TASK_PENDING) {
        return 0;
    }
    return zs_error_set(err, ZS_ERR_INVALID,
                        "task '%s' is an item of the fan-out '%s', which still waits", id,
                        aggregate_id);
}

int
zs_graph_check(zs_graph_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    if (s_check_items(self, msg, id, err) != 0 || s_check_item(self, id, err) != 0) {
        return -1;
    }
    return s_check_deps(self, msg, id, err);
}

size_t
zs_graph_size(const zs_msg_t *msg)
{
    return msg->items.count ? msg->items.count + 1 : 1;
}

//  ---------------------------------------------------------------------------------------
//  Release and doom

static void
s_release(zs_graph_t *self, zs_task_t *task)
{
    if (task->graph.aggregate) {
        zs_task_join_parts(task);
        zs_tasks_charge(self->tasks, task);  //  its parts' array is gone
    }
    zs_task_apply(task, ZS_TASK_RELEASE);
    zs_dispatch_ready(self->dispatch, task);
    zs_dispatch_type(self->dispatch, task->ttype);
}

static void
s_doom(zs_graph_t *self, const zs_task_t *dependant, size_t index, const char *why)
{
    s_doomed_t *doomed = zs_calloc(1, sizeof *doomed);
    memcpy(doomed->link.id, dependant->id, sizeof doomed->link.id);
    doomed->link.order = dependant->order;
    doomed->link.index = index;
    snprintf(doomed->why, sizeof doomed->why, "%s", why);
    zs_utf8_trim(doomed->why);
    zlistx_add_end(self->doomed, doomed);
}

//  The pending task a link names, or NULL when it ended (and maybe was freed)
static zs_task_t *
s_linked(zs_graph_t *self, const zs_task_link_t *link)
{
    zs_task_t *task = zs_tasks_find(self->tasks, link->id);
    return task && task->order == link->order && task->state == ZS_TASK_PENDING ? task
                                                                                : NULL;
}

static void
s_end_doomed(zs_graph_t *self, const s_doomed_t *doomed)
{
    zs_task_t *task = s_linked(self, &doomed->link);
    if (task) {
        zs_task_set_outcome(task, "fail", doomed->why);
        zs_task_apply(task, ZS_TASK_GIVE_UP);
        zs_core_ended(self->core, task);
    }
}

//  Dependency number index of task completed with result (data, size, exit). An
//  aggregate's items and a task's inputs share the payload's bound
static void
s_dep_completed(zs_graph_t *self,
                zs_task_t *task,
                size_t index,
                const uint8_t *data,
                size_t size,
                int64_t exit)
{
    if (zs_task_collects(task, index) &&
        zs_task_add_part(task, index, data, size, exit, ZS_MSG_PAYLOAD_MAX) != 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "the results of its %s pass %u bytes",
                 task->graph.aggregate ? "items" : "inputs", ZS_MSG_PAYLOAD_MAX);
        s_doom(self, task, index, why);
        return;
    }
    zs_tasks_charge(self->tasks, task);  //  it may hold the result now
    if (--task->graph.deps_left == 0) {
        s_release(self, task);
    }
}

//  What dependency number index of task, which ended in dep's state, does to it
static void
s_dep_ended(zs_graph_t *self, zs_task_t *task, size_t index, const zs_task_t *dep)
{
    if (dep->state == ZS_TASK_COMPLETED) {
        s_dep_completed(self, task, index, dep->result.out, dep->result.out_size,
                        dep->result.exit);
        return;
    }
    char why[ZS_MSG_TEXT_MAX];
    snprintf(why, sizeof why, "dependency '%s' %s", dep->id,
             zs_task_state_name(dep->state));
    s_doom(self, task, index, why);
}

void
zs_graph_settle(zs_graph_t *self)
{
    if (self->dooming) {
        return;  //  the outer call drains what we queued
    }
    self->dooming = true;
    s_doomed_t *doomed;
    while ((doomed = zlistx_detach(self->doomed, NULL))) {
        s_end_doomed(self, doomed);
        free(doomed);
    }
    self->dooming = false;
}

//  ---------------------------------------------------------------------------------------
//  Linking and ending

//  Before a dependency's links grow, drop those to tasks that ended first (cancelled):
//  a client could otherwise grow them for as long as the dependency runs
static void
s_prune_links(zs_graph_t *self, zs_task_t *dep)
{
    zs_task_graph_t *graph = &dep->graph;
    if (graph->dependant_count < graph->dependant_alloc) {
        return;
    }
    size_t kept = 0;
    for (size_t i = 0; i < graph->dependant_count; i++) {
        if (s_linked(self, &graph->dependants[i])) {
            graph->dependants[kept++] = graph->dependants[i];
        }
    }
    graph->dependant_count = kept;
}

//  Only in a replay: dependency number index was evicted once it completed (one that
//  failed would have failed task before the restart). A task that collects its result
//  finds it among those the replay kept for it (zs_graph_set_replayed); a completed
//  task's exit code is 0
static void
s_dep_evicted(zs_graph_t *self, zs_task_t *task, size_t index)
{
    const char *id = task->graph.deps[index];
    zchunk_t *result =
        self->replay_results ? zhashx_lookup(self->replay_results, id) : NULL;
    if (zs_task_collects(task, index) && !result) {
        zsys_warning("task '%s': the result of dependency '%s' was lost: taken as empty",
                     task->id, id);
    }
    s_dep_completed(self, task, index, result ? zchunk_data(result) : NULL,
                    result ? zchunk_size(result) : 0, 0);
}

void
zs_graph_link(zs_graph_t *self, zs_task_t *task)
{
    zs_task_graph_t *graph = &task->graph;
    for (size_t i = 0; i < graph->dep_count && task->state == ZS_TASK_PENDING; i++) {
        zs_task_t *dep = zs_tasks_find(self->tasks, graph->deps[i]);
        if (!dep) {
            s_dep_evicted(self, task, i);
        } else if (zs_task_is_final(dep)) {
            s_dep_ended(self, task, i, dep);
        } else {
            s_prune_links(self, dep);
            zs_task_add_dependant(dep, task, i);
            zs_tasks_charge(self->tasks, dep);  //  its links may have grown
        }
    }
}

void
zs_graph_final(zs_graph_t *self, zs_task_t *task)
{
    zs_task_graph_t *graph = &task->graph;
    for (size_t i = 0; i < graph->dependant_count; i++) {
        zs_task_link_t *link = &graph->dependants[i];
        zs_task_t *dependant = s_linked(self, link);
        if (dependant) {
            s_dep_ended(self, dependant, link->index, task);
        }
    }
    free(graph->dependants);
    graph->dependants = NULL;
    graph->dependant_count = graph->dependant_alloc = 0;
    zs_graph_settle(self);
}

void
zs_graph_start(zs_graph_t *self, zs_task_t *task)
{
    if (task->state == ZS_TASK_PENDING) {
        zs_core_publish_task(self->core, task, NULL);
        zs_graph_link(self, task);
    } else {
        zs_dispatch_ready(self->dispatch, task);
        zs_dispatch_type(self->dispatch, task->ttype);
    }
}

void
zs_graph_set_replayed(zs_graph_t *self, zhashx_t *results)
{
    self->replay_results = results;
}

void
zs_graph_init(zs_graph_t *self,
              zs_core_t *core,
              zs_tasks_t *tasks,
              zs_dispatch_t *dispatch)
{
    assert(self);
    *self = (zs_graph_t){.core = core, .tasks = tasks, .dispatch = dispatch};
    self->doomed = zlistx_new();
}

void
zs_graph_fini(zs_graph_t *self)
{
    s_doomed_t *doomed;
    while (self->doomed && (doomed = zlistx_detach(self->doomed, NULL))) {
        free(doomed);
    }
    zlistx_destroy(&self->doomed);
}

//  ---------------------------------------------------------------------------------------
//  Fan-out

//  The submit of item n (from 1) of a fan-out, borrowing from msg and id
static void
s_item_submit(const zs_msg_t *msg, size_t n, const char *id, zs_msg_t *item)
{
    *item = *msg;
    item->task = id;
    item->payload = msg->items.items[n - 1].data;
    item->payload_size = msg->items.items[n - 1].size;
    item->items = (zs_msg_bins_t){NULL, 0};
    item->agg = NULL;
}

//  The aggregate's submit in the journal's form: deps are the items, agg its own type
static zs_msg_t
s_aggregate_submit(const zs_msg_t *msg, const char **item_ids, size_t count)
{
    zs_msg_t aggregate = *msg;
    aggregate.ttype = msg->agg;
    aggregate.payload = NULL;
    aggregate.payload_size = 0;
    aggregate.items = (zs_msg_bins_t){NULL, 0};
    aggregate.deps = (zs_msg_list_t){item_ids, count};
    aggregate.requires = (zs_msg_list_t){NULL, 0};
    aggregate.strategy = NULL;
    return aggregate;
}

zs_task_t *
zs_graph_fan_out(
    zs_graph_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries)
{
    size_t count = msg->items.count;
    char(*ids)[ZS_MSG_NAME_MAX + 1] = zs_calloc(count, sizeof *ids);
    const char **id_list = zs_calloc(count, sizeof *id_list);
    for (size_t n = 1; n <= count; n++) {
        s_item_id(ids[n - 1], sizeof ids[n - 1], id, n);
        id_list[n - 1] = ids[n - 1];
        zs_msg_t item;
        s_item_submit(msg, n, ids[n - 1], &item);
        zs_tasks_accept(self->tasks, &item, ids[n - 1], tmo, tries);
    }
    zs_msg_t aggregate = s_aggregate_submit(msg, id_list, count);
    zs_task_t *task = zs_tasks_accept(self->tasks, &aggregate, id, tmo, tries);
    free(id_list);
    free(ids);
    return task;
}

//  ---------------------------------------------------------------------------------------
//  The swarm file's workflow

//  The submit a step makes, borrowing from it
static void
s_step_submit(const zs_workflow_step_t *step, zs_msg_t *submit)
{
    zs_msg_init(submit, ZS_MSG_SUBMIT);
    submit->ttype = step->type;
    submit->payload = (const uint8_t *) step->payload;
    submit->payload_size = step->payload ? strlen(step->payload) : 0;
    //  char ** to const char ** is safe here: the message only reads the strings
    submit->deps = (zs_msg_list_t){(const char **) (void *) step->deps, step->dep_count};
    submit->inputs =
        (zs_msg_list_t){(const char **) (void *) step->inputs, step->input_count};
}

static zs_task_t *
s_accept_step(zs_graph_t *self, const zs_workflow_step_t *step)
{
    const zs_swarm_t *swarm = self->core->swarm;
    zs_msg_t submit;
    s_step_submit(step, &submit);
    unsigned tmo = step->timeout_ms ? step->timeout_ms : swarm->task_timeout_ms;
    unsigned tries = (step->retries_set ? step->retries : swarm->task_retries) + 1;
    return zs_tasks_accept(self->tasks, &submit, step->id, tmo, tries);
}

//  A step is refused as a submit would be (a journal's tasks fill the bounds), and so
//  are the steps after it that depend on it: it is tried again at the next start
static bool
s_step_refused(zs_graph_t *self, const zs_workflow_step_t *step)
{
    const char *missing = NULL;
    for (size_t i = 0; i < step->dep_count && !missing; i++) {
        missing = zs_tasks_find(self->tasks, step->deps[i]) ? NULL : step->deps[i];
    }
    zs_msg_t submit;
    s_step_submit(step, &submit);
    zs_error_t why;
    if (missing) {
        zs_error_set(&why, ZS_ERR_QUEUE_FULL, "it depends on step '%s', which was not",
                     missing);
    } else if (zs_tasks_check(self->tasks, 1, zs_task_measure(&submit), &why) == 0) {
        return false;
    }
    zsys_warning("workflow step '%s' not submitted: %s", step->id, why.text);
    return true;
}

void
zs_graph_workflow(zs_graph_t *self)
{
    const zs_workflow_t *workflow = &self->core->swarm->workflow;
    size_t submitted = 0, refused = 0;
    for (size_t i = 0; i < workflow->count; i++) {
        //  Known from the journal: this workflow ran before
        if (zs_tasks_find(self->tasks, workflow->steps[i].id)) {
            continue;
        }
        if (s_step_refused(self, &workflow->steps[i])) {
            refused++;
        } else {
            zs_graph_start(self, s_accept_step(self, &workflow->steps[i]));
            submitted++;
        }
    }
    zs_graph_settle(self);
    if (refused > 0) {
        zsys_warning("workflow: %zu of %zu steps submitted, %zu refused: they are tried "
                     "again at the next start",
                     submitted, workflow->count, refused);
    } else if (workflow->count > 0) {
        zsys_info("workflow: %zu of %zu steps submitted, the others known already",
                  submitted, workflow->count);
    }
}

void
zs_graph_start_items(zs_graph_t *self, const char *id, size_t count)
{
    //  By id, not through the aggregate: nothing here may rely on it still being there
    for (size_t n = 1; n <= count; n++) {
        char item[2 * ZS_MSG_NAME_MAX];
        s_item_id(item, sizeof item, id, n);
        zs_task_t *task = zs_tasks_find(self->tasks, item);
        if (task) {
            zs_graph_start(self, task);
        }
    }
}
