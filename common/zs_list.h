//  zs_list - an intrusive doubly linked list: the links live in the items
//
//  An item that is on one list at a time (a task: on its agent, in a backlog, or among
//  the kept results) embeds a zs_link_t, so adding and removing cost nothing to
//  allocate and removing needs no search. The list does not own its items. An item is
//  on no list when both its links are NULL and no list's head is it (zs_list_unlink
//  leaves it so).

#ifndef ZS_LIST_H
#define ZS_LIST_H

#include <stddef.h>

typedef struct zs_link_t zs_link_t;

//  The links of an item, embedded in it
struct zs_link_t {
    zs_link_t *prev;  //  the item before it, or NULL at the head
    zs_link_t *next;  //  the item after it, or NULL at the tail
};

typedef struct {
    zs_link_t *head;  //  first item, or NULL
    zs_link_t *tail;  //  last item, or NULL
    size_t count;     //  items on the list
} zs_list_t;

//  The item of type that embeds link as member: zs_list_item (link, zs_task_t, link)
#define zs_list_item(link, type, member)                                                 \
    ((type *) (void *) ((char *) (link) - offsetof(type, member)))

//  Put link at the tail / at the head of self.
void zs_list_append(zs_list_t *self, zs_link_t *link);
void zs_list_prepend(zs_list_t *self, zs_link_t *link);

//  Take link, which must be on self, off it.
void zs_list_unlink(zs_list_t *self, zs_link_t *link);

#endif
