"""The dashboard app on gold (`make dashboard`) and what it shares with the council's quarterly report."""
