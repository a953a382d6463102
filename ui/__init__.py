"""The dashboard's shell: what every page uses, joined to the library (`studies/` never imports streamlit).

- `frame`: the explicit page list and the router, the language switch, page config, the sidebar, `fail`;
- `gate`: the password gate;
- `data`: cached tables, the study picker, and `study_page`, the one opening of a page about one study;
- `drawing`: a chart with its caption and downloads;
- `runs`: a runs table filtered on any column, its columns picked (filter and columns in the URL);
- `uploader`: Streamlit's file uploader's own text in the page's language (a stylesheet);
- `offer`: what a study did not measure, in one line with one action;
- `links`: a choice kept in the link by its code (not its label, which changes with the language);
- `fair`: the matched-fit warning, the line of conclusions, differences against the noise, best lr / every lr.
"""
from .data import (StudyPage, finished_rates, run_link_column, run_links, runs_or_stop, state_label, studies, study_label, study_of_run, study_page, study_picker,
                   table)
from studies.storage import csvsafe   # pages neutralise formula cells in the tables they show

from .drawing import chart, chart_spec, smoothing
from .fair import difference_note, edge_warnings, fit_warning, lr_view, pair_warning, study_conclusions
from .links import follow_link, write_link
from .offer import measure_offer
from .runs import runs_table
from .frame import (HOME, PAGES, ROOT, fail, job_manager, keep_language, language, navigation, page, page_files,
                    page_key, page_title, store_root)

__all__ = ["HOME", "PAGES", "ROOT", "StudyPage", "chart", "csvsafe", "chart_spec", "difference_note", "edge_warnings", "fail", "finished_rates", "fit_warning",
           "follow_link", "job_manager", "keep_language", "language", "lr_view", "measure_offer", "navigation", "page", "page_files", "page_key",
           "page_title", "pair_warning", "run_link_column", "run_links", "runs_or_stop", "runs_table", "smoothing", "state_label", "store_root", "studies", "study_conclusions",
           "study_label", "study_of_run", "study_page", "study_picker", "table", "write_link"]
