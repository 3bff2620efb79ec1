"""The domain as `rasa train` builds it: domain.yml plus the responses the
training data carries (the FAQ answers in data/responses/).

The action server needs it for calls that come without a domain
(`enable_selective_domain` in endpoints.yml), and tests read responses from
it; both go through Rasa's own importer, so they see exactly what the model
sees.
"""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.importers.importer import TrainingDataImporter

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_FILE = ROOT / "domain.yml"
RESPONSES_DIR = ROOT / "data" / "responses"


def model_domain(domain_file: Path = DOMAIN_FILE, responses_dir: Path = RESPONSES_DIR) -> Domain:
    """domain.yml merged with the responses in `responses_dir`."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(domain_file), training_data_paths=[str(responses_dir)]
    )
    return importer.get_domain()
