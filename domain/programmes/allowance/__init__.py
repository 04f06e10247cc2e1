"""What the two monthly allowances (残疾人两项补贴, 高龄津贴; SPEC §6.2, §6.3) share: a case about one person, a
short confirmation, grants paid month by month, stops effective from a month, and the kernel's links."""
