"""iota's bundled detection content: the AWS CloudTrail rule pack and the helper modules rules import."""
