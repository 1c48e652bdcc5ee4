/*
 * Fuzz target: dir_check_trunk (presence) on a trunk made of arbitrary
 * lines: id, name, username, password, realm, then one address per line.
 * What is accepted must keep the mirror's contract with ingress: the
 * addresses joined with "," parse back (cc_cidr_list_parse) as exactly
 * that many ranges, and the username and realm can go unescaped into a
 * quoted-string and into HA1 = MD5(username:realm:password). The whole
 * input is also tried as an outbound_uri: one accepted has no '@', ';',
 * space or quote (ingress puts "sip:<number>@" in front of its host part).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_config.h"
#include "cc_netaddr.h"
#include "dir_valid.h"

#define FIELDS_MAX (5 + DIR_TRUNK_ADDRESSES_MAX + 2)

static void check_quotable(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *field[FIELDS_MAX], *p, *joined;
    size_t n = 0, len = 1;
    Cc__DirTrunk t = CC__DIR_TRUNK__INIT;
    struct dir_invalid why;
    struct cc_cidr_list list;
    char err[128];

    if (text == NULL)
        return 0;
    if (dir_valid_outbound_uri((const char *)data, size)) {
        if (size < 5 || memcmp(data, "sip:", 4) != 0)
            abort();
        for (size_t i = 0; i < size; i++)
            if (data[i] == '@' || data[i] == ';' || data[i] <= ' ' || data[i] == '"' ||
                data[i] > 0x7e)
                abort();
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (p = text; n < FIELDS_MAX;) {
        char *nl = strchr(p, '\n');
        field[n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    while (n < 5)
        field[n++] = "";
    t.id = field[0];
    t.name = field[1];
    t.username = field[2];
    t.password = field[3];
    t.realm = field[4];
    t.addresses = &field[5];
    t.n_addresses = n - 5;
    if (!dir_check_trunk(&t, &why)) {
        if (why.field == NULL || why.message[0] == '\0')
            abort();
        free(text);
        return 0;
    }
    for (size_t i = 0; i < t.n_addresses; i++)
        len += strlen(t.addresses[i]) + 1;
    joined = malloc(len);
    if (joined != NULL) {
        joined[0] = '\0';
        for (size_t i = 0; i < t.n_addresses; i++) {
            if (i > 0)
                strcat(joined, ",");
            strcat(joined, t.addresses[i]);
        }
        if (cc_cidr_list_parse(&list, joined, strlen(joined), err, sizeof(err)) != CC_OK ||
            list.n != t.n_addresses)
            abort();
        free(joined);
    }
    if (t.n_addresses == 0 && t.username[0] == '\0')
        abort(); /* neither addresses nor digest */
    if (strchr(t.username, ':') != NULL)
        abort();
    check_quotable(t.username);
    check_quotable(t.realm);
    free(text);
    return 0;
}
