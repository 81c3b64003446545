"""iota's implementation of the `panther_detection_helpers` package rules import."""
