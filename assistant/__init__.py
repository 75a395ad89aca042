"""Exam-prep study assistant for the AWS AIF-C01 guide *ML Development Lifecycle and Pipeline*."""

__version__ = "0.1.0"
