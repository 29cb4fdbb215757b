"""Explicit unit conversions into the warehouse's units (the column-name suffixes)."""

TEN_THOUSAND_YUAN_TO_100M_YUAN = 1e-4  # 万元 -> 亿元
THOUSAND_YUAN_TO_100M_YUAN = 1e-5  # 千元 -> 亿元
