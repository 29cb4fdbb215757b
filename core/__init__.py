"""What every layer shares and imports nothing of ours: documents and their provenance, the error every
refusal is, the feed spec, where things live, and fail points."""
