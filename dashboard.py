"""Batchscope dashboard: pick a study from the store and see what batch size did to it."""
import streamlit as st

from studies import charts
from studies.store import StoreError, open_store, resolve_root

st.set_page_config(page_title="Batchscope", page_icon="📐", layout="wide")


@st.cache_data(show_spinner=False)
def load(root: str, study_id: str, version: int):
    """Cached on every input: a study's tables are re-read only when its store version changes."""
    return open_store(root).load_study(study_id)


root = st.sidebar.text_input("Store folder", value=str(resolve_root()), key="store",
                             help="Same rule as the CLI: --store, else $BATCHSCOPE_STORE, else ./batchscope-results")
store = open_store(root)
studies = store.list_studies()
st.title("Batchscope")
if studies.empty:
    st.info(f"No studies in `{store.root}` yet. Run one: `python -m studies run examples/quick.toml`")
    st.stop()

labels = {r.study_id: f"{r.name} · {r.study_id[:8]} · {r.runs_done}/{r.runs_total} runs · {r.state}"
          for r in studies.itertuples()}
wanted = st.query_params.get("study")
ids = list(labels)
sid = st.sidebar.selectbox("Study", ids, index=ids.index(wanted) if wanted in ids else 0,
                           format_func=labels.get, key="study")
st.query_params["study"] = sid
runs, epochs = load(str(store.root), sid, store.version(sid))
if runs.empty:
    st.info("This study has no finished runs yet.")
    st.stop()

done = runs[runs.status == "done"]
st.caption(f"{len(runs)} runs · {runs.dataset.iloc[0]} · device {runs.device_name.iloc[0]} · "
           "epoch time = median over epochs after the first (warm-up)")
left, right = st.columns(2)
left.altair_chart(charts.epoch_time_chart(runs), use_container_width=True)
right.altair_chart(charts.gap_chart(runs), use_container_width=True)
st.altair_chart(charts.accuracy_chart(runs), use_container_width=True)
with st.expander("Runs table"):
    st.dataframe(runs, hide_index=True)
