"""残疾人两项补贴 (S12: 云政发〔2016〕5号; standards 云民发〔2026〕2号; SPEC §6.2) on the kernel."""
