"""Every check of the checklist can fail: each id has a self-test that makes it fail.

Two kinds of self-tests count. The mutation tables (`tests/test_mutations_*.py`:
every module-level list of `Row`s) name the ids a planted fault makes fail.
The other self-tests (auth, TLS, clients, replicas, fuzz) stand up misbehaving
token servers, certificates, clients and replica sets; they are declared here
by the ids they fail, and a declaration must point at a self-test that exists
and names its check (the id in its module, or the fuzz property it runs).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from regsuite.checklist import CHECKLIST
from tests.mutation_table import Row

HERE = Path(__file__).resolve().parent

# Self-tests outside the mutation tables, and the checks each makes fail.
OTHER_SELFTESTS: dict[str, tuple[str, ...]] = {
    # a token registry behind a fault proxy, or its token server misbehaving
    "test_auth_checks.py::test_a_changed_challenge_fails_its_check": (
        "auth.challenge-syntax",
        "auth.challenge-realm",
        "auth.challenge-scope",
        "auth.unauthorized-body",
    ),
    "test_auth_checks.py::test_a_changed_token_endpoint_fails_its_check": (
        "auth.token-get",
        "auth.token-intersection",
        "auth.token-bad-credentials",
    ),
    "test_auth_checks.py::test_each_token_server_fault_fails_its_check": (
        "auth.token-post",
        "auth.token-refresh",
        "auth.token-expires-in",
        "auth.token-accepted",
    ),
    "test_auth_checks.py::test_a_registry_that_does_not_verify_tokens_fails": (
        "auth.rejects-expired",
        "auth.rejects-forged",
        "auth.rejects-wrong-audience",
        "auth.rejects-wrong-issuer",
    ),
    "test_auth_checks.py::test_a_registry_that_does_not_enforce_scopes_fails": (
        "auth.insufficient-scope",
        "auth.repository-isolation",
        "auth.catalog-scope",
        "auth.pull-only-access",
    ),
    # the access matrix: htpasswd over TLS and the token registry with one hole at a time
    "test_auth_checks.py::test_each_hole_in_an_htpasswd_deployment_fails_its_check": (
        "auth.anonymous-access",
        "auth.wrong-credentials",
        "auth.challenge-syntax",
    ),
    "test_auth_checks.py::test_each_hole_in_a_token_deployment_fails_its_check": (
        "auth.anonymous-access",
        "auth.wrong-credentials",
        "auth.challenge-syntax",
        "auth.token-bad-credentials",
    ),
    "test_auth_checks.py::test_a_refusal_that_gives_content_away_fails": ("auth.anonymous-access",),
    "test_auth_checks.py::test_htpasswd_cannot_hold_a_pull_only_user_as_the_shipped_expectations_say": (
        "auth.pull-only-access",
    ),
    "test_auth_checks.py::test_a_registry_refusing_the_push_users_tokens_fails_push_user_access": (
        "auth.push-user-access",
    ),
    "test_auth_checks.py::test_anonymous_pull_other_than_declared_fails": ("auth.anonymous-pull",),
    "test_auth_checks.py::test_basic_auth_over_plain_http_is_flagged": ("auth.basic-over-tls",),
    # registries serving bad certificates or protocol versions
    "test_tls_checks.py::test_each_bad_certificate_fails_its_checks": (
        "tls.handshake",
        "tls.hostname",
        "tls.chain",
        "tls.validity",
        "tls.expiry-margin",
    ),
    "test_tls_checks.py::test_a_certificate_clients_refuse_fails_its_check_after_first_contact_fails": (
        "tls.handshake",
        "tls.hostname",
        "tls.chain",
        "tls.validity",
    ),
    "test_tls_checks.py::test_each_served_chain_fault_fails_its_check": (
        "tls.subject-alt-name",
        "tls.key-size",
        "tls.signature-algorithm",
        "tls.chain-order",
        "tls.chain-without-root",
        "tls.intermediate-expiry",
    ),
    "test_tls_checks.py::test_expiry_within_the_margin_fails_on_the_real_path": ("tls.expiry-margin",),
    "test_tls_checks.py::test_weak_tls_1_2_suites_fail": ("tls.cipher-suites",),
    "test_tls_checks.py::test_a_terminator_without_tls_1_3_fails_tls13_offered": ("tls.tls13-offered",),
    "test_tls_checks.py::test_a_terminator_accepting_any_client_certificate_fails": (
        "tls.client-certificate-other-ca",
    ),
    "test_tls_checks.py::test_tls_1_0_allowed_fails": ("tls.legacy-versions-refused", "tls.cipher-suites"),
    "test_tls_checks.py::test_plain_http_served_on_the_tls_port_fails": ("tls.plain-http-refused",),
    "test_tls_checks.py::test_client_certificates_not_required_fails": ("tls.client-certificate",),
    # real clients against a registry broken in transit
    "test_clients_selftest.py::test_corrupted_blobs_fail_with_the_client_message": (
        "clients.docker-pull",
        "clients.docker-roundtrip",
        "clients.skopeo-copy-from-registry",
        "clients.skopeo-inspect",
        "clients.oras-pull",
    ),
    "test_clients_selftest.py::test_a_refused_manifest_upload_fails_the_pushes_with_the_client_message": (
        "clients.docker-push",
        "clients.skopeo-copy-to-registry",
        "clients.oras-push",
    ),
    "test_clients_selftest.py::test_a_delete_acknowledged_but_not_done_fails_skopeo_delete": ("clients.skopeo-delete",),
    "test_clients_selftest.py::test_docker_login_refused_for_the_right_password_fails_in_dockers_words": (
        "clients.docker-login",
    ),
    "test_clients_selftest.py::test_docker_login_accepting_any_password_fails_in_dockers_words": (
        "clients.docker-login-refused",
    ),
    # replica sets misconfigured one way each
    "test_replicas_selftest.py::test_separate_storage_fails_read_after_write": (
        "replicas.blob-read-after-write",
        "replicas.manifest-read-after-write",
    ),
    "test_replicas_selftest.py::test_different_secrets_fail_upload_portability_naming_the_shared_secret": (
        "replicas.upload-portable",
    ),
    "test_replicas_selftest.py::test_a_replica_hiding_a_tag_or_repository_fails_the_agreement_checks": (
        "replicas.tags-agree",
        "replicas.catalog-agree",
    ),
    "test_replicas_selftest.py::test_a_blob_descriptor_cache_per_replica_fails_delete_propagation": (
        "replicas.delete-propagates",
    ),
    # each fuzz property against a planted fault
    "test_fuzz_selftests.py::test_valid_names_fail_when_long_names_are_refused": ("fuzz.valid-names",),
    "test_fuzz_selftests.py::test_finds_a_registry_that_accepts_an_invalid_name": ("fuzz.invalid-names",),
    "test_fuzz_selftests.py::test_finds_a_registry_that_answers_500_to_a_long_tag": ("fuzz.valid-tags",),
    "test_fuzz_selftests.py::test_invalid_tags_fail_when_one_is_accepted": ("fuzz.invalid-tags",),
    "test_fuzz_selftests.py::test_manifest_structure_fails_on_a_server_error": ("fuzz.manifest-structure",),
    "test_fuzz_selftests.py::test_manifest_descriptors_fail_when_unknown_blobs_are_accepted": (
        "fuzz.manifest-descriptors",
    ),
    "test_fuzz_selftests.py::test_finds_a_registry_that_loses_a_chunk": ("fuzz.protocol-state",),
    "test_fuzz_selftests.py::test_chunk_order_fails_against_distribution": ("fuzz.chunk-order",),
}
DECLARED = {check_id for ids in OTHER_SELFTESTS.values() for check_id in ids}


def failing_rows() -> dict[str, list[str]]:
    """Check id -> the mutation-table rows that make it fail (`module: row`)."""
    found: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_mutations_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, list) and value and all(isinstance(row, Row) for row in value):
                for row in value:
                    for verdict in row.fail:
                        found.setdefault(verdict.split("[")[0], []).append(f"{path.stem}: {row.name}")
    return found


def test_every_check_has_a_self_test_that_makes_it_fail() -> None:
    missing = sorted(set(CHECKLIST) - set(failing_rows()) - DECLARED)
    assert not missing, f"checks no self-test makes fail (add a row to a mutation table, or a self-test): {missing}"


def test_declared_self_tests_exist_and_name_their_check() -> None:
    problems = [f"{check_id}: not in the checklist (drop the declaration)" for check_id in DECLARED - set(CHECKLIST)]
    for node, check_ids in OTHER_SELFTESTS.items():
        filename, function = node.split("::")
        source = (HERE / filename).read_text()
        tests = {f.name: f for f in ast.walk(ast.parse(source)) if isinstance(f, ast.FunctionDef)}
        if function not in tests:
            problems.append(f"{node} does not exist")
            continue
        body = ast.get_source_segment(source, tests[function]) or ""
        for check_id in check_ids:
            if check_id not in source and check_id.split(".", 1)[1].replace("-", "_") not in body:
                problems.append(f"{node} does not name {check_id} (its id, or the fuzz property it runs)")
    assert not problems, "\n".join(problems)
