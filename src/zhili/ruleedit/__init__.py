"""Rules edited in the product: drafts as file sets, the editable grid, the Excel round-trip,
impact replay and publishing — every use case once, called by the API, the pages and the CLI.

    files = read_dir(rules_dir)                     # {"01-classify/classify.json": text, …}
    ruleset = load_files(files)                     # checked + compiled (cached by content)
    grid = packs_view(files)                        # packs → tables → columns, rows (for the page)
    files = apply_rows(files, pack, table, rows)    # an edited table back into the JDM JSON
    book = export_workbook(files, pack=None)        # .xlsx bytes: one sheet per table + 说明
    files, problems = import_workbook(data, base)   # per-cell report (sheet, row, column, reason)
    RuleEditing(service)                            # drafts → review → publish → restore
"""

from .files import files_hash, load_files, materialize, read_dir, write_dir
from .tables import TableEdit, apply_rows, lint_table_rows, packs_view

__all__ = ["TableEdit", "apply_rows", "files_hash", "lint_table_rows", "load_files", "materialize",
           "packs_view", "read_dir", "write_dir"]
