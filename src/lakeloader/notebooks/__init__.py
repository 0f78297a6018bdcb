"""Databricks notebooks as they are: exports (`# Databricks notebook source`) and `.ipynb`, run cell by cell with
`spark`, `dbutils` and `display` defined and PySpark's names resolved to lakeloader's (`lakeloader.spark`)."""
