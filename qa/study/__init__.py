"""Study materials for a document: starter questions, a study guide and a quiz made from questions
archive-qa has answered from it (pack), and its glossary and timeline (glossary); every item is
cited verbatim."""

from qa.study.glossary import GlossaryEntry, TimelineEntry, timeline
from qa.study.pack import StructuralProposer, StudyPack, study_pack
from qa.study.quiz import LETTERS, QuizItem

__all__ = [
    "LETTERS", "GlossaryEntry", "QuizItem", "StructuralProposer", "StudyPack", "TimelineEntry",
    "study_pack", "timeline",
]  # fmt: skip
