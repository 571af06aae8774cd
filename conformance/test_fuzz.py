"""Area fuzz: property-based fuzzing with hypothesis (run with --fuzz-profile or -m fuzz)."""

from regsuite.fixtures.checks import check
from regsuite.fuzzing import machine, properties
from regsuite.fuzzing.runner import FuzzTarget


@check("fuzz.valid-names")
def test_valid_names(fuzz_target: FuzzTarget) -> None:
    properties.valid_names(fuzz_target)


@check("fuzz.invalid-names")
def test_invalid_names(fuzz_target: FuzzTarget) -> None:
    properties.invalid_names(fuzz_target)


@check("fuzz.valid-tags")
def test_valid_tags(fuzz_target: FuzzTarget) -> None:
    properties.valid_tags(fuzz_target)


@check("fuzz.invalid-tags")
def test_invalid_tags(fuzz_target: FuzzTarget) -> None:
    properties.invalid_tags(fuzz_target)


@check("fuzz.manifest-structure")
def test_manifest_structure(fuzz_target: FuzzTarget) -> None:
    properties.manifest_structure(fuzz_target)


@check("fuzz.manifest-descriptors")
def test_manifest_descriptors(fuzz_target: FuzzTarget) -> None:
    properties.manifest_descriptors(fuzz_target)


@check("fuzz.protocol-state")
def test_protocol_state(fuzz_target: FuzzTarget) -> None:
    machine.protocol_state(fuzz_target)


@check("fuzz.chunk-order")
def test_chunk_order(fuzz_target: FuzzTarget) -> None:
    machine.protocol_state(fuzz_target, out_of_order=True)
