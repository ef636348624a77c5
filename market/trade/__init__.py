"""Buying and selling: inquiries and RFQs, quotations, deals and their pipeline, MoUs at trade events,
live feeds and provincial statistics."""
