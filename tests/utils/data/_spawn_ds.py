"""A dataset in a module that imports neither torch nor pytest, so spawned workers start quickly."""

import numpy as np


class SpawnDataset:
    def __len__(self) -> int:
        return 6

    def __getitem__(self, i):
        return np.full((8, 1024), i, np.float32), i
