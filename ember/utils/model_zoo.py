"""ember.utils.model_zoo: the old name of the hub's checkpoint loader (torch.utils.model_zoo)."""

from ..hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url"]
