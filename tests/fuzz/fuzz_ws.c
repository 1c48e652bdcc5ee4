/* Fuzz target: bytes a client sends on the WebSocket, read by a wslay server
 * context configured as the gateway's hub configures it (message limit,
 * callbacks that read from a buffer and swallow what is sent back). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

struct feed {
    const uint8_t *data;
    size_t len, off;
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *u)
{
    struct feed *f = u;
    size_t k = f->len - f->off;
    (void)flags;
    if (k == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (k > len)
        k = len;
    if (k > 7)
        k = 7; /* small reads: frames split across calls */
    memcpy(buf, f->data + f->off, k);
    f->off += k;
    return (ssize_t)k;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *d, size_t len, int flags,
                       void *u)
{
    (void)ctx;
    (void)d;
    (void)flags;
    (void)u;
    return (ssize_t)len;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                   void *u)
{
    (void)ctx;
    (void)u;
    if (a->msg_length > 64 * 1024)
        abort(); /* the limit the hub sets must hold */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wslay_event_callbacks cb = {.recv_callback = recv_cb, .send_callback = send_cb,
                                       .on_msg_recv_callback = on_msg};
    struct feed f = {data, size, 0};
    wslay_event_context_ptr ctx;

    if (wslay_event_context_server_init(&ctx, &cb, &f) != 0)
        return 0;
    wslay_event_config_set_max_recv_msg_length(ctx, 64 * 1024);
    while (f.off < f.len && wslay_event_want_read(ctx)) {
        if (wslay_event_recv(ctx) != 0)
            break;
        if (wslay_event_want_write(ctx))
            wslay_event_send(ctx);
    }
    wslay_event_context_free(ctx);
    return 0;
}
