/* ring: SPSC ring of recording items. See ring.h. */
#include "ring.h"
#include <stdlib.h>

struct rec_ring {
    _Atomic uint32_t head; /* next slot the producer fills; written by the producer */
    _Atomic uint32_t tail; /* next slot the consumer reads; written by the consumer */
    uint32_t mask;
    struct rec_item *slot;
};

struct rec_ring *rec_ring_new(uint32_t slots)
{
    struct rec_ring *r;

    if (slots <= REC_RESERVE || (slots & (slots - 1)) != 0)
        return NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->slot = calloc(slots, sizeof(*r->slot));
    if (r->slot == NULL) {
        free(r);
        return NULL;
    }
    r->mask = slots - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r;
}

void rec_ring_free(struct rec_ring *r)
{
    if (r == NULL)
        return;
    free(r->slot);
    free(r);
}

struct rec_item *rec_ring_claim(struct rec_ring *r, uint32_t reserve)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint32_t used = head - tail;

    if (used + reserve + 1 > r->mask + 1)
        return NULL;
    return &r->slot[head & r->mask];
}

void rec_ring_push(struct rec_ring *r)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

struct rec_item *rec_ring_peek(struct rec_ring *r)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

    return head == tail ? NULL : &r->slot[tail & r->mask];
}

void rec_ring_pop(struct rec_ring *r)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}
