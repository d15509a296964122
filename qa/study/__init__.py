"""Study materials for a document: starter questions, a study guide of the four historical-thinking
kinds (thinking), a quiz (quiz), and its glossary and timeline (glossary), put together by pack;
every item is cited verbatim, and a question the sources do not answer is a prompt, never given
an answer."""

from qa.study.glossary import GlossaryEntry, TimelineEntry, timeline
from qa.study.pack import StructuralProposer, StudyPack, study_pack
from qa.study.quiz import LETTERS, QuizItem
from qa.study.thinking import SKILLS, Skill, StudyQuestion

__all__ = [
    "LETTERS", "SKILLS", "GlossaryEntry", "QuizItem", "Skill", "StructuralProposer", "StudyPack",
    "StudyQuestion", "TimelineEntry", "study_pack", "timeline",
]  # fmt: skip
