"""Tests of the application services (services/)."""
