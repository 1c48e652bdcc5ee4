/* cc_id: UUIDv7 generation and validation. */
#include "cc_id.h"
#include "cc_time.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void fill_random(unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0)
            continue; /* EINTR; getrandom on Linux >= 3.17 does not otherwise fail */
        p += got;
        n -= (size_t)got;
    }
}

void cc_id_new_at(char out[CC_ID_LEN], int64_t wall_ms)
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)wall_ms;

    fill_random(b, sizeof(b));
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    snprintf(out, CC_ID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void cc_id_new(char out[CC_ID_LEN])
{
    cc_id_new_at(out, cc_wall_ms());
}

bool cc_id_valid(const char *s, size_t len)
{
    if (s == NULL || len != CC_ID_LEN - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}
