"""The dashboard's shell: what every page uses, joined to the library (`studies/` never imports streamlit).

- `frame`: the explicit page list and the router, the language switch, page config, the sidebar, `fail`;
- `gate`: the password gate;
- `data`: cached tables, the study picker, and `study_page`, the one opening of a page about one study;
- `drawing`: a chart with its caption and downloads;
- `fair`: the matched-fit warning, the line of conclusions, differences against the noise, best lr / every lr.
"""
from .data import StudyPage, runs_or_stop, state_label, studies, study_label, study_page, study_picker, table
from .drawing import chart, chart_spec
from .fair import difference_note, fit_warning, lr_view, pair_warning, study_conclusions
from .frame import (HOME, PAGES, ROOT, fail, job_manager, language, navigation, page, page_files,
                    page_key, page_title, store_root)

__all__ = ["HOME", "PAGES", "ROOT", "StudyPage", "chart", "chart_spec", "difference_note", "fail", "fit_warning",
           "job_manager", "language", "lr_view", "navigation", "page", "page_files", "page_key",
           "page_title", "pair_warning", "runs_or_stop", "state_label", "store_root", "studies", "study_conclusions",
           "study_label", "study_page", "study_picker", "table"]
