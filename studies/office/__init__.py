"""The dashboard's back office (no streamlit): the job queue and job manager, progress, the New-study form,
uploads, password throttling and the Ray clusters a dashboard may use."""
