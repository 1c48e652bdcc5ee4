/* cc_pbjson: JSON <-> protobuf, strictness and error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "cc_pbjson.h"
#include "directory.pb-c.h"
#include "enquiry.pb-c.h"

static ProtobufCMessage *parse(const ProtobufCMessageDescriptor *d, const char *text,
                               cc_status want, const char *field)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    struct cc_pbjson_error e;
    ProtobufCMessage *m = NULL;
    cc_status st;

    assert_non_null(j);
    st = cc_pbjson_to_message(d, j, &m, &e);
    json_decref(j);
    if (st != want)
        fail_msg("%s: got %s (%s)", text, cc_status_str(st), e.message);
    if (field != NULL && strcmp(e.field, field) != 0)
        fail_msg("%s: field \"%s\", expected \"%s\"", text, e.field, field);
    return m;
}

static void test_channel_round_trip(void **state)
{
    const char *in =
        "{\"id\":\"web\",\"name\":\"Website\",\"type\":\"widget\",\"group_id\":\"sales\","
        "\"voicemail\":true,\"max_wait_broadcast_s\":12,"
        "\"custom_info\":{\"brand\":\"Acme\",\"items\":[{\"key\":\"plan\",\"value\":\"gold\"}]}}";
    Cc__Channel *c = (Cc__Channel *)parse(&cc__channel__descriptor, in, CC_OK, NULL);
    json_t *out;
    (void)state;

    assert_string_equal(c->name, "Website");
    assert_true(c->voicemail);
    assert_int_equal(c->max_wait_broadcast_s, 12);
    assert_string_equal(c->staff_id, "");
    assert_int_equal(c->custom_info->n_items, 1);
    assert_string_equal(c->custom_info->items[0]->value, "gold");
    out = cc_pbjson_from_message(&c->base);
    assert_string_equal(json_string_value(json_object_get(out, "group_id")), "sales");
    assert_int_equal(json_integer_value(json_object_get(out, "max_wait_broadcast_s")), 12);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(out, "custom_info"), "items"), 0),
            "key")),
        "plan");
    json_decref(out);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_password_is_write_only(void **state)
{
    Cc__Staff *s = (Cc__Staff *)parse(
        &cc__staff__descriptor,
        "{\"id\":\"a\",\"password\":\"secret-1\",\"group_ids\":[\"x\",\"y\"]}", CC_OK, NULL);
    json_t *out = cc_pbjson_from_message(&s->base);
    (void)state;
    assert_string_equal(s->password, "secret-1");
    assert_null(json_object_get(out, "password"));
    assert_int_equal(json_array_size(json_object_get(out, "group_ids")), 2);
    json_decref(out);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    parse(&cc__group__descriptor, "{\"nme\":\"x\"}", CC_ERR_INVALID, "nme");
    parse(&cc__group__descriptor, "{\"\":\"x\"}", CC_ERR_INVALID, "\"\""); /* found by fuzzing */
    parse(&cc__group__descriptor, "{\"name\":5}", CC_ERR_INVALID, "name");
    parse(&cc__group__descriptor, "{\"member_ids\":\"a\"}", CC_ERR_INVALID, "member_ids");
    parse(&cc__group__descriptor, "{\"member_ids\":[\"a\",7]}", CC_ERR_INVALID, "member_ids[1]");
    parse(&cc__channel__descriptor, "{\"voicemail\":\"yes\"}", CC_ERR_INVALID, "voicemail");
    parse(&cc__channel__descriptor, "{\"max_wait_direct_s\":1.5}", CC_ERR_INVALID,
          "max_wait_direct_s");
    parse(&cc__channel__descriptor, "{\"max_wait_direct_s\":99999999999}", CC_ERR_INVALID,
          "max_wait_direct_s");
    parse(&cc__channel__descriptor, "{\"custom_info\":[]}", CC_ERR_INVALID, "custom_info");
    /* a half-built nested element must be freed (ASan checks the leak) */
    parse(&cc__channel__descriptor,
          "{\"custom_info\":{\"items\":[{\"key\":\"a\"},{\"key\":\"b\",\"value\":3}]}}",
          CC_ERR_INVALID, "custom_info.items[1].value");
    parse(&cc__channel__descriptor, "{\"custom_info\":{\"items\":[5]}}", CC_ERR_INVALID,
          "custom_info.items[0]");
}

static void test_null_is_absent_and_body_must_be_object(void **state)
{
    Cc__Group *g = (Cc__Group *)parse(&cc__group__descriptor, "{\"name\":null}", CC_OK, NULL);
    (void)state;
    assert_string_equal(g->name, "");
    protobuf_c_message_free_unpacked(&g->base, NULL);
    parse(&cc__group__descriptor, "[1]", CC_ERR_INVALID, "body");
}

static void test_enums(void **state)
{
    char buf[32];
    Cc__CreateEnquiryRequest *r;
    (void)state;
    assert_string_equal(cc_pbjson_enum_name(&cc__enquiry_kind__descriptor,
                                            CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL, buf, sizeof(buf)),
                        "call");
    assert_string_equal(cc_pbjson_enum_name(&cc__enquiry_state__descriptor,
                                            CC__ENQUIRY_STATE__ENQUIRY_STATE_VOICEMAIL, buf,
                                            sizeof(buf)),
                        "voicemail");
    assert_string_equal(cc_pbjson_enum_name(&cc__enquiry_kind__descriptor, 99, buf, sizeof(buf)),
                        "99");
    r = (Cc__CreateEnquiryRequest *)parse(&cc__create_enquiry_request__descriptor,
                                          "{\"kind\":\"chat\"}", CC_OK, NULL);
    assert_int_equal(r->kind, CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    parse(&cc__create_enquiry_request__descriptor, "{\"kind\":\"CALL\"}", CC_ERR_INVALID, "kind");
    parse(&cc__create_enquiry_request__descriptor, "{\"kind\":\"fax\"}", CC_ERR_INVALID, "kind");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_round_trip),
        cmocka_unit_test(test_password_is_write_only),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_null_is_absent_and_body_must_be_object),
        cmocka_unit_test(test_enums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
