"""Offline work: training, calibration, backtests, evaluation, reports and feature screening."""
