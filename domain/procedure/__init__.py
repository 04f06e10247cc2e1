"""Records of the shared procedure that more than one programme keeps on its case (objections, complaints,
reviews, benefit periods) — leaf models, importing nothing of the kernel's clients."""
