/*
 * Fuzz target: SIP messages as anyone on the network can send them to
 * ingress's SIP port. Each input goes through sofia-sip's message parser the
 * way ingress's transport does (the SIP message class, nta's default flags,
 * ingress's size limit SIP_MSG_MAX, the whole datagram at once), then, for a
 * request that parses, through what ingress reads of it: the Request-URI
 * user as a number (number.c) and the body as an SDP offer (sdp.c, sofia's
 * SDP parser), whose answer must print; a REGISTER's Contact URIs judged
 * and, when kept, printed into the 200's Contact list (contact.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "contact.h"
#include "number.h"
#include "sdp.h"
#include "sip.h"

static void read_contacts(su_home_t *home, const sip_t *sip)
{
    char list[2 * CONTACT_URI_MAX + 64];

    for (const sip_contact_t *m = sip->sip_contact; m != NULL; m = m->m_next) {
        char *u = url_as_string(home, m->m_url);
        if (u != NULL && contact_uri_ok(u, strlen(u))) {
            const char *uris[1] = {u};
            int secs[1] = {contact_expiry(m->m_expires != NULL ? atoi(m->m_expires) : -1, -1,
                                          CONTACT_MAX_S)};
            if (strlen(u) > CONTACT_URI_MAX || secs[0] > CONTACT_MAX_S ||
                contact_list_print(list, sizeof(list), 1, uris, secs) < 0)
                abort();
        }
        su_free(home, u);
    }
}

static void read_request(const sip_t *sip)
{
    char e164[NUMBER_E164_MAX], err[200], answer[SDP_ANSWER_MAX];
    const url_t *u = sip->sip_request->rq_url;
    struct sdp_offer o;
    su_home_t home[1] = {SU_HOME_INIT(home)};

    if (u != NULL && u->url_user != NULL && number_e164(e164, u->url_user, strlen(u->url_user))) {
        if (e164[0] != '+' || strlen(e164) < 2 || strlen(e164) > 16)
            abort();
    }
    if (sip->sip_from != NULL) {
        char *t = sip_header_as_string(home, (const sip_header_t *)sip->sip_from);
        su_free(home, t);
    }
    read_contacts(home, sip);
    if (sip->sip_payload != NULL && sdp_offer_parse(&o, sip->sip_payload->pl_data,
                                                    sip->sip_payload->pl_len, err,
                                                    sizeof(err)) == SDP_OK) {
        if (o.port <= 0 || o.port > 65535 || (o.codec != 1 && o.codec != 2))
            abort();
        if (sdp_answer_print(answer, sizeof(answer), &o, "192.0.2.1", 20000, 1, 1) < 0)
            abort();
    }
    su_home_deinit(home);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msg_t *msg = msg_create(sip_default_mclass(), MSG_DO_CANONIC);
    void *buf;
    sip_t *sip;

    if (msg == NULL)
        return 0;
    msg_maxsize(msg, SIP_MSG_MAX);
    buf = msg_buf_alloc(msg, size + 1);
    if (buf == NULL || msg_buf_size(msg) < size) {
        msg_destroy(msg);
        return 0;
    }
    memcpy(buf, data, size);
    msg_buf_commit(msg, size, 1);
    if (msg_extract(msg) > 0) {
        sip = sip_object(msg);
        if (sip != NULL && sip->sip_request != NULL && !msg_has_error(msg) &&
            sip->sip_call_id != NULL && sip->sip_from != NULL && sip->sip_to != NULL &&
            sip->sip_cseq != NULL)
            read_request(sip);
    }
    msg_destroy(msg);
    return 0;
}
