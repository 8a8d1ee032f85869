"""Urgency triage of call transcripts: classifiers, the safety rule, evaluation."""
