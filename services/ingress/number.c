/* number: a Request-URI's user part -> E.164 text. See number.h. */
#include "number.h"

#include <string.h>

static bool is_separator(char c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

bool number_e164(char out[NUMBER_E164_MAX], const char *user, size_t len)
{
    char buf[NUMBER_E164_MAX];
    size_t i = 0, n = 0, digits = 0;

    if (user == NULL)
        return false;
    buf[n++] = '+';
    if (len >= 1 && user[0] == '+')
        i = 1;
    else if (len >= 3 && user[0] == '%' && user[1] == '2' && (user[2] == 'B' || user[2] == 'b'))
        i = 3;
    for (; i < len; i++) {
        char c = user[i];
        if (c >= '0' && c <= '9') {
            if (digits == 15)
                return false;
            buf[n++] = c;
            digits++;
        } else if (!is_separator(c) || digits == 0) {
            return false; /* a separator only between digits; anything else is not a number */
        }
    }
    if (digits == 0 || is_separator(user[len - 1]))
        return false;
    buf[n] = '\0';
    memcpy(out, buf, n + 1);
    return true;
}
