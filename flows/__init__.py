"""Prefect flows. They only wire tasks; the work lives in extractors/, transforms/, expectations/, warehouse/."""
