/*
 * number: which virtual number a Request-URI dials.
 *
 * Carriers write the dialled number in many ways: "+442071234567",
 * "442071234567", "+44-20-7123-4567" (visual separators, RFC 3966), a
 * percent-encoded "%2B44...", in a sip:, sips: or tel: URI. All of them
 * become the E.164 text the directory keys numbers by ("+442071234567",
 * cc:dir:number:<e164>). Pure functions of pointer + length: fuzzed and
 * unit tested (tests/unit/ingress/test_number.c).
 */
#ifndef INGRESS_NUMBER_H
#define INGRESS_NUMBER_H
#include <stdbool.h>
#include <stddef.h>

/* "+" and 1..15 digits, NUL-terminated */
#define NUMBER_E164_MAX 17

/*
 * The E.164 form of a Request-URI user part (or tel: number) user[0..len):
 * an optional leading "+" (or "%2B"), then digits, with the visual
 * separators "-", ".", "(", ")" and "%20"-free spaces dropped. Between 1 and
 * 15 digits. False (out untouched) for anything else: letters, a "*" or
 * "#" service code, parameters (";..." after the number), an empty user.
 */
bool number_e164(char out[NUMBER_E164_MAX], const char *user, size_t len);

#endif
