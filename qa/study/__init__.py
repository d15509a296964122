"""Study materials for a document: starter questions, a study guide of the four historical-thinking
kinds (its question in question; sourcing and context in thinking; close reading, corroboration
and essays in reading), a quiz (quiz), its glossary and timeline (glossary), put together by
pack; a teacher's edits (edits). Every item is cited verbatim, and a question the sources do not
answer is a prompt, never given an answer."""

from qa.study.glossary import GlossaryEntry, TimelineEntry, timeline
from qa.study.pack import StructuralProposer, StudyPack, study_pack
from qa.study.question import SKILLS, Skill, StudyQuestion
from qa.study.quiz import LETTERS, QuizItem

__all__ = [
    "LETTERS", "SKILLS", "GlossaryEntry", "QuizItem", "Skill", "StructuralProposer", "StudyPack",
    "StudyQuestion", "TimelineEntry", "study_pack", "timeline",
]  # fmt: skip
