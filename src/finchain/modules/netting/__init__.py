"""netting module: multilateral netting of payment obligations in clearing cycles."""
