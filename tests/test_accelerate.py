"""Training through Hugging Face Accelerate (skorch's AccelerateMixin), in one process."""

import pickle

import numpy as np
import pytest
import torch

from sklimpute import GAINImputer, VAEWLImputer
from sklimpute.training import BatchLoader, MaskedDataset


@pytest.mark.parametrize("make", [
    lambda: VAEWLImputer(shape=(8, 8), epochs=2, batch_size=32, random_state=0),
    lambda: GAINImputer(epochs=2, batch_size=32, random_state=0),  # its own adversarial step
])
def test_fit_accelerated_in_one_process_equals_fit(make, digits_missing):
    accelerate = pytest.importorskip("accelerate")
    X = digits_missing[0][:300]
    plain = make().fit(X)
    acc = make().fit_accelerated(X, accelerator=accelerate.Accelerator(cpu=True))
    # trained through the mixin, handed back as the model's own net
    assert type(acc.net_) is type(plain.net_)
    assert sorted(acc.net_.get_params(deep=False)) == sorted(plain.net_.get_params(deep=False))
    np.testing.assert_array_equal(acc.transform(X), plain.transform(X))
    assert [h["train_loss"] for h in acc.history_] == [h["train_loss"] for h in plain.history_]
    again = pickle.loads(pickle.dumps(acc))
    np.testing.assert_array_equal(again.transform(X), plain.transform(X))
    assert not hasattr(acc, "_accelerator")


def test_batch_loader_shards_batches_between_processes():
    data = MaskedDataset(np.arange(100.0).reshape(50, 2), np.ones((50, 2), dtype=bool))
    shards = []
    for shard in range(3):
        torch.manual_seed(0)  # every process draws the same order
        loader = BatchLoader(data, batch_size=4, shuffle=True, num_shards=3, shard=shard)
        rows = [b[0]["x"][:, 0].int().tolist() for b in loader]
        assert len(rows) == len(loader) == 13 // 3
        shards.append(sum(rows, []))
    flat = sum(shards, [])
    assert len(flat) == len(set(flat)) == 4 * 3 * (13 // 3)  # disjoint, equal shares
