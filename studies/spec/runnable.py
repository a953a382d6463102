"""The one check a study passes before it may run, wherever it comes from: the CLI's ``run`` (and so every
dashboard job, which is that command), New study's form, and the job queue's submit. A spec the form accepts
is therefore one its own job can read and run: the size of its TOML (the 64 KiB a spec file may have), the
memory its data and models need, a CSV that is a regular file, and its estimate (which refuses a budget of
more epochs than a run may train). Nothing here imports torch or reads the data.
"""
from __future__ import annotations

from pathlib import Path

from .config import SpecError, StudySpec
from .estimate import Estimate, check_fits, estimate
from .limits import MAX_CSV_BYTES, MAX_SPEC_BYTES, LimitError, regular_file_size


def largest_field(spec: StudySpec) -> str:
    """The top-level field whose TOML is longest: where a spec too big to run is made smaller."""
    import tomli_w
    d = spec.to_dict()
    return max(d, key=lambda k: len(tomli_w.dumps({k: d[k]})))


def check_size(spec: StudySpec) -> None:
    """SpecError when the spec's TOML (what its job reads back) has more than MAX_SPEC_BYTES bytes."""
    size = len(spec.to_toml().encode())
    if size > MAX_SPEC_BYTES:
        field = largest_field(spec)
        raise SpecError(field, key="spec.too_big", size=f"{size:,}", most=f"{MAX_SPEC_BYTES:,}", field=field)


def check_csv_file(spec: StudySpec) -> None:
    """A csv: path that is not a regular file of a sane size is refused at once (a FIFO or /dev/zero is never
    opened; a removed upload is said as such)."""
    if spec.dataset.startswith("csv:"):
        try:
            regular_file_size(Path(spec.dataset[4:]).expanduser(), MAX_CSV_BYTES, "CSV file")
        except FileNotFoundError:
            raise SpecError("dataset", key="spec.csv_missing", path=spec.dataset[4:]) from None
        except (LimitError, OSError) as e:
            raise SpecError("dataset", str(e)) from None


def check_runnable(spec: StudySpec, slot: str = "cpu", csv_shape: tuple[int, int, int] | None = None) -> Estimate:
    """Refuse (SpecError naming the field and the fix) what the study's own job would refuse; otherwise its
    estimate on the device ``slot``."""
    check_size(spec)
    check_fits(spec, csv_shape)
    check_csv_file(spec)
    return estimate(spec, slot, csv_shape=csv_shape)
