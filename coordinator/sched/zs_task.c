//  zs_task - see zs_task.h

#include "coordinator/sched/zs_task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZS_TASK_NONE ((zs_task_state_t) -1)  //  no transition

//  The whole life of a task: next state for (state, event), ZS_TASK_NONE where refused
#define S_ ZS_TASK_NONE
// clang-format off
static const zs_task_state_t s_next[ZS_TASK_STATE_COUNT][ZS_TASK_EVENT_COUNT] = {
    //                    ASSIGN            START            SUCCEED            FAIL
    //                    RETRY             GIVE_UP          CANCEL             RELEASE
    [ZS_TASK_PENDING] =   {S_,              S_,              S_,                S_,
                           S_,              ZS_TASK_DEAD,    ZS_TASK_CANCELLED, ZS_TASK_READY},
    [ZS_TASK_READY] =     {ZS_TASK_ASSIGNED, S_,             S_,                S_,
                           S_,              ZS_TASK_DEAD,    ZS_TASK_CANCELLED, S_},
    [ZS_TASK_ASSIGNED] =  {S_,              ZS_TASK_RUNNING, ZS_TASK_COMPLETED, ZS_TASK_FAILED,
                           S_,              S_,              ZS_TASK_CANCELLED, S_},
    [ZS_TASK_RUNNING] =   {S_,              S_,              ZS_TASK_COMPLETED, ZS_TASK_FAILED,
                           S_,              S_,              ZS_TASK_CANCELLED, S_},
    [ZS_TASK_COMPLETED] = {S_, S_, S_, S_, S_, S_, S_, S_},
    [ZS_TASK_FAILED] =    {S_,              S_,              S_,                S_,
                           ZS_TASK_READY,   ZS_TASK_DEAD,    S_,                S_},
    [ZS_TASK_DEAD] =      {S_, S_, S_, S_, S_, S_, S_, S_},
    [ZS_TASK_CANCELLED] = {S_, S_, S_, S_, S_, S_, S_, S_},
};
// clang-format on
#undef S_

static const char *s_state_names[ZS_TASK_STATE_COUNT] = {
    "pending", "ready", "assigned", "running", "completed", "failed", "dead", "cancelled",
};

static const zs_msg_type_t s_state_events[ZS_TASK_STATE_COUNT] = {
    ZS_MSG_EV_TASK_PENDING, ZS_MSG_EV_TASK_READY,     ZS_MSG_EV_TASK_ASSIGNED,
    ZS_MSG_EV_TASK_RUNNING, ZS_MSG_EV_TASK_COMPLETED, ZS_MSG_EV_TASK_FAILED,
    ZS_MSG_EV_TASK_DEAD,    ZS_MSG_EV_TASK_CANCELLED,
};

static uint8_t *
s_bytes_dup(const uint8_t *data, size_t size)
{
    if (!data) {
        return NULL;
    }
    uint8_t *copy = zs_malloc(size);
    memcpy(copy, data, size);
    return copy;
}

//  What a list of strings costs: the strings and the array that points to them
static size_t
s_strings_bytes(const char *const *strings, size_t count)
{
    size_t bytes = count * sizeof(char *);
    for (size_t i = 0; i < count; i++) {
        bytes += strlen(strings[i]) + 1;
    }
    return bytes;
}

//  What one dependency costs besides its id: the link its task keeps to the dependant,
//  and the part of a task that collects results
static size_t
s_dep_bytes(bool collects)
{
    return sizeof(zs_task_link_t) + (collects ? sizeof(zs_task_part_t) : 0);
}

static bool
s_listed(const char *const *items, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(items[i], id) == 0) {
            return true;
        }
    }
    return false;
}

const char **
zs_task_deps_of(const zs_msg_t *submit, size_t *count_p)
{
    const zs_msg_list_t *deps = &submit->deps, *inputs = &submit->inputs;
    const char **all = zs_calloc(deps->count + inputs->count + 1, sizeof *all);
    size_t count = 0;
    for (size_t i = 0; i < deps->count; i++) {
        all[count++] = deps->items[i];
    }
    for (size_t i = 0; i < inputs->count; i++) {
        if (!s_listed(all, count, inputs->items[i])) {
            all[count++] = inputs->items[i];
        }
    }
    *count_p = count;
    return all;
}

static void
s_graph_init(zs_task_graph_t *graph, const zs_msg_t *submit)
{
    size_t count;
    const char **deps = zs_task_deps_of(submit, &count);
    graph->deps = zs_strings_copy(deps, count);
    free(deps);
    graph->dep_count = graph->deps_left = count;
    graph->aggregate = submit->agg && submit->items.count == 0 && count;
    graph->inputs = zs_strings_copy(submit->inputs.items, submit->inputs.count);
    graph->input_count = submit->inputs.count;
    if (graph->aggregate || graph->input_count) {
        graph->parts = zs_calloc(graph->dep_count, sizeof *graph->parts);
    }
}

static void
s_parts_free(zs_task_graph_t *graph)
{
    for (size_t i = 0; graph->parts && i < graph->dep_count; i++) {
        free(graph->parts[i].data);
    }
    free(graph->parts);
    graph->parts = NULL;
    graph->parts_size = 0;
}

static void
s_graph_fini(zs_task_graph_t *graph)
{
    s_parts_free(graph);
    zs_strings_free(graph->deps, graph->dep_count);
    zs_strings_free(graph->inputs, graph->input_count);
    free(graph->dependants);
}

zs_task_t *
zs_task_new(const char *id,
            const zs_msg_t *submit,
            unsigned tmo_ms,
            unsigned tries,
            uint64_t order)
{
    assert(id);
    assert(submit);
    assert(submit->ttype);
    zs_task_t *self = zs_calloc(1, sizeof *self);
    snprintf(self->id, sizeof self->id, "%s", id);
    self->ttype = zs_strdup(submit->ttype);
    self->payload = s_bytes_dup(submit->payload, submit->payload_size);
    self->payload_size = submit->payload_size;
    self->pri = submit->pri;
    self->order = order;
    self->tmo_ms = tmo_ms;
    self->tries = tries;
    self->heap_index = SIZE_MAX;
    int strategy = submit->strategy ? zs_strategy_from_name(submit->strategy) : -1;
    self->strategy = strategy < 0 ? ZS_STRATEGY_DEFAULT : (zs_strategy_t) strategy;
    self->requires = zs_strings_copy(submit->requires.items, submit->requires.count);
    self->require_count = submit->requires.count;
    self->target = submit->agent ? zs_strdup(submit->agent) : NULL;
    s_graph_init(&self->graph, submit);
    self->family.parent = submit->parent ? zs_strdup(submit->parent) : NULL;
    self->state = self->graph.dep_count ? ZS_TASK_PENDING : ZS_TASK_READY;
    self->list_bytes =
        s_strings_bytes((const char *const *) self->graph.deps, self->graph.dep_count) +
        s_strings_bytes(submit->inputs.items, submit->inputs.count) +
        s_strings_bytes(submit->requires.items, submit->requires.count);
    return self;
}

static void
s_result_purge(zs_task_result_t *result)
{
    free(result->status);
    free(result->out);
    free(result->err);
    free(result->why);
    free(result->provider);
    memset(result, 0, sizeof *result);
}

void
zs_task_destroy(zs_task_t **self_p)
{
    assert(self_p);
    zs_task_t *self = *self_p;
    if (!self) {
        return;
    }
    assert(!self->waiters);
    free(self->ttype);
    free(self->payload);
    free(self->agent_id);
    s_result_purge(&self->result);
    zs_task_clear_progress(self);
    s_graph_fini(&self->graph);
    zs_strings_free(self->requires, self->require_count);
    free(self->target);
    free(self->family.parent);
    zs_strings_free(self->family.children, self->family.child_count);
    free(self->ckpt);
    free(self);
    *self_p = NULL;
}

int
zs_task_apply(zs_task_t *self, zs_task_event_t event)
{
    assert(self);
    assert(event < ZS_TASK_EVENT_COUNT);
    zs_task_state_t next = s_next[self->state][event];
    if (next == ZS_TASK_NONE) {
        return -1;
    }
    self->state = next;
    return 0;
}

bool
zs_task_is_final(const zs_task_t *self)
{
    return self->state == ZS_TASK_COMPLETED || self->state == ZS_TASK_DEAD ||
           self->state == ZS_TASK_CANCELLED;
}

void
zs_task_set_result(zs_task_t *self, const zs_msg_t *result)
{
    s_result_purge(&self->result);
    self->result.status = result->status ? zs_strdup(result->status) : NULL;
    self->result.exit = result->exit;
    self->result.out = s_bytes_dup(result->out, result->out_size);
    self->result.out_size = result->out_size;
    self->result.err = s_bytes_dup(result->err, result->err_size);
    self->result.err_size = result->err_size;
    self->result.why = result->why ? zs_strdup(result->why) : NULL;
    self->result.provider = result->provider ? zs_strdup(result->provider) : NULL;
    self->result.code = result->code;
    if (self->tok_in == 0 && self->tok_out == 0) {
        self->tok_in = result->tok_in;
        self->tok_out = result->tok_out;
    }
}

void
zs_task_set_progress(zs_task_t *self, const zs_msg_t *progress)
{
    free(self->progress.note);
    self->progress = (zs_task_progress_t){
        .pct = progress->pct,
        .note = progress->note ? zs_strdup(progress->note) : NULL,
        .bytes = progress->bytes,
        .total = progress->total,
        .rate = progress->rate,
    };
}

void
zs_task_clear_progress(zs_task_t *self)
{
    free(self->progress.note);
    memset(&self->progress, 0, sizeof self->progress);
}

void
zs_task_set_outcome(zs_task_t *self, const char *status, const char *why)
{
    s_result_purge(&self->result);
    self->result.status = zs_strdup(status);
    self->result.why = zs_strdup(why);
}

const char *
zs_task_state_name(zs_task_state_t state)
{
    return state < ZS_TASK_STATE_COUNT ? s_state_names[state] : "invalid";
}

int
zs_task_state_from_name(const char *name)
{
    for (int state = 0; state < ZS_TASK_STATE_COUNT; state++) {
        if (strcmp(s_state_names[state], name) == 0) {
            return state;
        }
    }
    return -1;
}

zs_msg_type_t
zs_task_state_event(zs_task_state_t state)
{
    return state < ZS_TASK_STATE_COUNT ? s_state_events[state] : ZS_MSG_INVALID;
}

void
zs_task_describe(const zs_task_t *self, zs_msg_t *msg)
{
    msg->task = self->id;
    msg->ttype = self->ttype;
    msg->state = s_state_names[self->state];
    msg->att = self->att;
    msg->agent = self->agent_id;
    msg->pri = self->pri;
    msg->tmo = self->tmo_ms;
    msg->tries = self->tries;
    msg->status = self->result.status;
    msg->exit = self->result.exit;
    msg->out = self->result.out;
    msg->out_size = self->result.out_size;
    msg->err = self->result.err;
    msg->err_size = self->result.err_size;
    msg->why = self->result.why;
    msg->provider = self->result.provider;
    msg->code = self->result.code;
    msg->tok_in = self->tok_in;
    msg->tok_out = self->tok_out;
    msg->usd = self->usd > 0 ? self->usd : (double) NAN;
    msg->pct = self->progress.pct;
    msg->note = self->progress.note;
    msg->bytes = self->progress.bytes;
    msg->total = self->progress.total;
    msg->rate = self->progress.rate;
    msg->ended = (uint64_t) self->ended_ms;
    //  An aggregate's deps are its items, ID.1 .. ID.N: thousands, and said by its id
    if (!self->graph.aggregate) {
        msg->deps = zs_task_deps(self);
    }
    msg->ckpt_bytes = self->ckpt_size;
    msg->parent = self->family.parent;
    //  char ** to const char ** is safe here: the message only reads the strings
    msg->children = (zs_msg_list_t){(const char **) (void *) self->family.children,
                                    self->family.child_count};
}

zs_msg_list_t
zs_task_deps(const zs_task_t *self)
{
    //  char ** to const char ** is safe here: the message only reads the strings
    zs_msg_list_t list = {(const char **) (void *) self->graph.deps,
                          self->graph.dep_count};
    return list;
}

void
zs_task_add_dependant(zs_task_t *self, const zs_task_t *dependant, size_t index)
{
    zs_task_graph_t *graph = &self->graph;
    if (graph->dependant_count == graph->dependant_alloc) {
        graph->dependant_alloc = graph->dependant_alloc ? 2 * graph->dependant_alloc : 2;
        graph->dependants = zs_realloc(graph->dependants, graph->dependant_alloc *
                                                              sizeof *graph->dependants);
    }
    zs_task_link_t *link = &graph->dependants[graph->dependant_count++];
    memcpy(link->id, dependant->id, sizeof link->id);
    link->order = dependant->order;
    link->index = index;
}

bool
zs_task_collects(const zs_task_t *self, size_t index)
{
    const zs_task_graph_t *graph = &self->graph;
    return graph->parts && index < graph->dep_count &&
           (graph->aggregate || s_listed((const char *const *) graph->inputs,
                                         graph->input_count, graph->deps[index]));
}

const zs_task_part_t *
zs_task_input(const zs_task_t *self, size_t n, const char **dep_p)
{
    const zs_task_graph_t *graph = &self->graph;
    assert(n < graph->input_count);
    *dep_p = graph->inputs[n];
    for (size_t i = 0; graph->parts && i < graph->dep_count; i++) {
        if (strcmp(graph->deps[i], graph->inputs[n]) == 0) {
            return graph->parts[i].set ? &graph->parts[i] : NULL;
        }
    }
    return NULL;
}

void
zs_task_set_checkpoint(zs_task_t *self, const uint8_t *data, size_t size)
{
    free(self->ckpt);
    self->ckpt = size ? s_bytes_dup(data, size) : NULL;
    self->ckpt_size = size;
}

void
zs_task_add_child(zs_task_t *self, const char *child)
{
    zs_task_family_t *family = &self->family;
    if (s_listed((const char *const *) family->children, family->child_count, child)) {
        return;
    }
    if (family->child_count == family->child_alloc) {
        family->child_alloc = family->child_alloc ? 2 * family->child_alloc : 4;
        family->children =
            zs_realloc(family->children, family->child_alloc * sizeof *family->children);
    }
    family->children[family->child_count++] = zs_strdup(child);
}

int
zs_task_add_part(zs_task_t *self,
                 size_t index,
                 const uint8_t *data,
                 size_t size,
                 int64_t exit,
                 size_t max)
{
    zs_task_graph_t *graph = &self->graph;
    assert(graph->parts && index < graph->dep_count && graph->parts_size <= max);
    if (size > max - graph->parts_size) {
        return -1;
    }
    graph->parts[index].data = size ? s_bytes_dup(data, size) : NULL;
    graph->parts[index].size = size;
    graph->parts[index].exit = exit;
    graph->parts[index].set = true;
    graph->parts_size += size;
    return 0;
}

void
zs_task_join_parts(zs_task_t *self)
{
    zs_task_graph_t *graph = &self->graph;
    free(self->payload);
    self->payload = zs_malloc(graph->parts_size + 1);
    self->payload_size = 0;
    for (size_t i = 0; i < graph->dep_count; i++) {
        if (graph->parts[i].size) {
            memcpy(self->payload + self->payload_size, graph->parts[i].data,
                   graph->parts[i].size);
            self->payload_size += graph->parts[i].size;
        }
    }
    s_parts_free(graph);
}

size_t
zs_task_bytes(const zs_task_t *self)
{
    const zs_task_graph_t *graph = &self->graph;
    const zs_task_result_t *result = &self->result;
    size_t parts = graph->parts ? graph->dep_count * sizeof *graph->parts : 0;
    const zs_task_family_t *family = &self->family;
    return self->payload_size + graph->parts_size + parts + result->out_size +
           result->err_size + (result->why ? strlen(result->why) + 1 : 0) +
           self->list_bytes + graph->dependant_alloc * sizeof *graph->dependants +
           self->ckpt_size +
           s_strings_bytes((const char *const *) family->children, family->child_count);
}

size_t
zs_task_measure(const zs_msg_t *submit)
{
    const zs_msg_list_t *requires = &submit->requires, *inputs = &submit->inputs;
    size_t count = submit->items.count, dep_count;
    const char **deps = zs_task_deps_of(submit, &dep_count);
    bool collects = (submit->agg && count == 0 && dep_count) || inputs->count;
    size_t each = s_strings_bytes(deps, dep_count) +
                  s_strings_bytes(inputs->items, inputs->count) +
                  s_strings_bytes(requires->items, requires->count) +
                  dep_count * s_dep_bytes(collects);
    free(deps);
    if (count == 0) {
        return submit->payload_size + each;
    }
    size_t bytes = count * each + zs_task_measure_aggregate(count);
    for (size_t i = 0; i < count; i++) {
        bytes += submit->items.items[i].size;
    }
    return bytes;
}

size_t
zs_task_measure_aggregate(size_t count)
{
    return count * (sizeof(char *) + ZS_MSG_NAME_MAX + 1 + s_dep_bytes(true));
}

void
zs_task_drop_input(zs_task_t *self)
{
    assert(zs_task_is_final(self));
    free(self->payload);
    self->payload = NULL;
    self->payload_size = 0;
    s_parts_free(&self->graph);
    zs_task_set_checkpoint(self, NULL, 0);
}

void
zs_task_drop_output(zs_task_t *self)
{
    free(self->result.out);
    free(self->result.err);
    self->result.out = self->result.err = NULL;
    self->result.out_size = self->result.err_size = 0;
}

bool
zs_task_id_valid(const char *id)
{
    return zs_msg_name_valid(id, strlen(id), ZS_MSG_NAME_MAX);
}
