//  zs_list - see zs_list.h

#include "common/zs_list.h"

#include <assert.h>

void
zs_list_append(zs_list_t *self, zs_link_t *link)
{
    assert(self);
    assert(link && !link->prev && !link->next && self->head != link);
    link->prev = self->tail;
    if (self->tail) {
        self->tail->next = link;
    } else {
        self->head = link;
    }
    self->tail = link;
    self->count++;
}

void
zs_list_prepend(zs_list_t *self, zs_link_t *link)
{
    assert(self);
    assert(link && !link->prev && !link->next && self->head != link);
    link->next = self->head;
    if (self->head) {
        self->head->prev = link;
    } else {
        self->tail = link;
    }
    self->head = link;
    self->count++;
}

void
zs_list_unlink(zs_list_t *self, zs_link_t *link)
{
    assert(self);
    assert(link && self->count > 0);
    if (link->prev) {
        link->prev->next = link->next;
    } else {
        self->head = link->next;
    }
    if (link->next) {
        link->next->prev = link->prev;
    } else {
        self->tail = link->prev;
    }
    link->prev = link->next = NULL;
    self->count--;
}
