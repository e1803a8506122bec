"""Every component id of the UI, in one place. Kebab-case, prefixed by the part of the UI they
belong to. Per-item widgets use dict ids built by the functions at the end."""

from __future__ import annotations

# ---- shell: navbar, tabs, shared dialogs and browser-side state
SELECTION = "shell-selection"  # dcc.Store (localStorage): {"project": id, "document": id}
CATALOG_REV = "shell-catalog-rev"  # dcc.Store: bumped when projects/documents change
EDITOR_ID = "shell-editor-id"  # dcc.Store: this browser tab's editor id (set by assets/editor.js)
NOTICE = "shell-notice"  # dbc.Alert for results of navbar actions
TABS = "shell-tabs"

PROJECT_SELECT = "shell-project-select"
USER_NAME = "shell-user"  # the signed-in user's name in the navbar (accounts on)
SIGN_OUT = "shell-sign-out"
ROLE_NOTE = "shell-role-note"  # "viewer: …" in the navbar when the selected project is only shared to look at
SHARE_OPEN = "shell-share"  # opens the sharing dialog of the selected project (accounts on)
SHARE_MODAL = "shell-share-modal"
SHARE_MEMBERS = "shell-share-members"  # the project's owner and members, each with a role picker and Remove
SHARE_USER = "shell-share-user"  # the user name to add
SHARE_NEW_ROLE = "shell-share-new-role"
SHARE_ADD = "shell-share-add"
SHARE_MESSAGE = "shell-share-message"
SHARE_ROLE = "shell-share-role"  # {"type": SHARE_ROLE, "user": name}: a member's role picker
SHARE_REMOVE = "shell-share-remove"  # {"type": SHARE_REMOVE, "user": name}
PROJECT_NEW = "shell-project-new"
PROJECT_RENAME = "shell-project-rename"
PROJECT_DELETE = "shell-project-delete"
DOCUMENT_SELECT = "shell-document-select"
DOCUMENT_NEW = "shell-document-new"
DOCUMENT_RENAME = "shell-document-rename"
DOCUMENT_DELETE = "shell-document-delete"

NAME_MODAL = "shell-name-modal"
NAME_TITLE = "shell-name-title"
NAME_INPUT = "shell-name-input"
NAME_ERROR = "shell-name-error"
NAME_OK = "shell-name-ok"
NAME_PENDING = "shell-name-pending"  # dcc.Store: {"action": ...} while the dialog is open

CONFIRM_MODAL = "shell-confirm-modal"
CONFIRM_TEXT = "shell-confirm-text"
CONFIRM_OK = "shell-confirm-ok"
CONFIRM_CANCEL = "shell-confirm-cancel"
CONFIRM_PENDING = "shell-confirm-pending"  # dcc.Store: {"action": "delete-page", ...}

# ---- upload tab
UPLOAD_HINT = "upload-hint"
UPLOAD_DPI = "upload-dpi"
UPLOAD_DROPZONE = "upload-dropzone"
UPLOAD_URL = "upload-url"  # hidden text: where assets/upload.js posts files
UPLOAD_PROGRESS = "upload-progress"
UPLOAD_RESULT = "upload-result"  # dcc.Store set by assets/upload.js when a batch ends
UPLOAD_MESSAGES = "upload-messages"
UPLOAD_GRID = "upload-grid"
UPLOAD_PAGE_CLICK = "upload-page-click"  # dcc.Store: a person's click on a page card's button (assets/relay.js)
UPLOAD_COUNT = "upload-count"
PAGES_REV = "upload-pages-rev"  # dcc.Store: bumped when pages are added, moved or deleted

# ---- preprocess tab
PREPROCESS_TAB = "preprocess-tab"
PP_PAGE = "preprocess-page"
PP_SCOPE = "preprocess-scope"
PP_STEPS = "preprocess-steps"
PP_ADD_OP = "preprocess-add-op"
PP_ADD = "preprocess-add"
PP_RESET = "preprocess-reset"
PP_PIPELINE = "preprocess-pipeline"  # dcc.Store: {"page": id, "scope": "document"|"page", "steps": [...]}
PP_STRUCT_REV = "preprocess-struct-rev"  # dcc.Store: bumped to rebuild the step controls
PP_ERROR = "preprocess-error"
PP_INFO = "preprocess-info"
PP_GRAPH = "preprocess-graph"
PP_VIEW = "preprocess-view"  # dcc.Store: what the figure shows (page, image URLs and sizes), to patch it
PP_OCR_LANG = "preprocess-ocr-lang"
PP_OCR_RESULT = "preprocess-ocr-result"
PP_PRESET = "preprocess-preset"
PP_PRESET_APPLY = "preprocess-preset-apply"
PP_PRESET_NAME = "preprocess-preset-name"
PP_PRESET_SAVE = "preprocess-preset-save"
PP_PRESET_REV = "preprocess-preset-rev"
PP_APPLY = "preprocess-apply"
PP_CANCEL = "preprocess-cancel"
PP_PROGRESS = "preprocess-progress"
PP_APPLY_STATUS = "preprocess-apply-status"

# ---- annotate tab
AN_PAGE = "annotate-page"
AN_VIEW = "annotate-view"
AN_FIND_METHOD = "annotate-find-method"
AN_FIND = "annotate-find"
AN_LAYER = "annotate-layer"  # which layer the drawing tools draw on: lines or regions
AN_SHOW = "annotate-show"  # which layers are shown
AN_FIND_REGIONS = "annotate-find-regions"
AN_FIND_REGIONS_REPLACE = "annotate-find-regions-replace"
AN_REGION_LIST = "annotate-region-list"
AN_REGION_SELECTED = "annotate-region-selected"  # dcc.Store: the region chosen in the list or on the page
AN_REGION_CLICK = "annotate-region-click"  # dcc.Store: a person's click on a region row's button (assets/relay.js)
AN_REGION_EDIT = "annotate-region-edit"  # dcc.Store: a region's type or subtype a person changed in its row (assets/relay.js)
AN_NEW_REGION_TYPE = "annotate-new-region-type"  # the type a region drawn next gets
AN_OWN_TYPE = "annotate-own-type"  # the name of a region type the project adds
AN_OWN_TYPE_ADD = "annotate-own-type-add"
AN_PREFILL_LANG = "annotate-prefill-lang"
AN_PREFILL = "annotate-prefill"
AN_PREFILL_PROGRESS = "annotate-prefill-progress"
AN_UNDO = "annotate-undo"
AN_IMPORT = "annotate-import"  # drop zone: ground-truth files are streamed to /api/import-gt (assets/upload.js)
AN_IMPORT_REPLACE = "annotate-import-replace"
AN_IMPORT_SPEC = "annotate-import-spec"  # hidden: where the drop zone sends files (JSON)
AN_IMPORT_PROGRESS = "annotate-import-progress"
AN_IMPORT_RESULT = "annotate-import-result"  # dcc.Store: what the import did, set by assets/upload.js
AN_EXPORT_LINKS = "annotate-export-links"
AN_MESSAGE = "annotate-message"
AN_GRAPH = "annotate-graph"
AN_TITLE = "annotate-title"
AN_LINE_IMG = "annotate-line-img"
AN_TEXT = "annotate-text"
AN_BETA = "annotate-beta"
AN_PALETTE = "annotate-palette"
AN_PREV = "annotate-prev"
AN_NEXT = "annotate-next"
AN_VERIFY = "annotate-verify"
AN_DELETE = "annotate-delete"
AN_UP = "annotate-up"
AN_DOWN = "annotate-down"
AN_ABOVE = "annotate-above"
AN_BELOW = "annotate-below"
AN_BAND = "annotate-band"
AN_WARNINGS = "annotate-warnings"
AN_HISTORY = "annotate-history"  # who last changed the selected line, and its earlier versions (restorable)
AN_HISTORY_CLICK = "annotate-history-click"  # dcc.Store: a person's click on a version's Restore (assets/relay.js)
AN_VARIANTS = "annotate-variants"  # an aligned line: the edition's text over what was read there, differences marked
# "Align a known text": an edition's text (pasted or a file) put onto the lines of a page range
AN_ALIGN_TEXT = "annotate-align-text"
AN_ALIGN_FILE = "annotate-align-file"
AN_ALIGN_FILE_NAME = "annotate-align-file-name"
AN_ALIGN_FIRST = "annotate-align-first"
AN_ALIGN_LAST = "annotate-align-last"
AN_ALIGN_MODEL = "annotate-align-model"
AN_ALIGN_RUN = "annotate-align-run"
AN_ALIGN_PROGRESS = "annotate-align-progress"
AN_ALIGN_RESULT = "annotate-align-result"
AN_HISTORY_RESTORE = "annotate-history-restore"  # {"type": AN_HISTORY_RESTORE, "rev": n}: restore version n
AN_LIST = "annotate-list"
AN_LINES = "annotate-lines"  # dcc.Store: {"page", "view", "lines": [...], "band", "image"}
AN_SELECTED = "annotate-selected"  # dcc.Store: line id
AN_EDITING = "annotate-editing"  # dcc.Store: the line id the text field currently holds
AN_UNDO_STORE = "annotate-undo-store"  # dcc.Store: the last change, to undo it
AN_EDIT_STATE = "annotate-edit-state"  # hidden, JSON: the line the text field holds (read by assets/editor.js)
AN_SAVED = "annotate-saved"  # dcc.Store: a save the editor made ({"outcome", "page", "at"}), set by assets/editor.js
AN_EDITOR_BOX = "annotate-editor-box"  # the editor's messages: refusals with both texts (written by assets/editor.js)
AN_COUNTS = "annotate-counts"  # the page's lines by status
AN_DRAW = "annotate-draw"  # dcc.Store: bumped when the figure and the list must be drawn anew (page, shapes, order)
AN_CURRENT = "annotate-current"  # dcc.Store: the selected line, its number and the order (computed in the browser)
AN_SHOWN = "annotate-shown"  # dcc.Store: the line the figure shows as selected (to patch only what changes)
AN_CHANGE = "annotate-change"  # dcc.Store: a line operation's changes, applied by the browser (callbacks/annotate_page.py)
AN_POLL = "annotate-poll"  # dcc.Interval: look for other people's changes of the page
AN_DIGEST = "annotate-digest"  # dcc.Store: the page's line ids and revisions as the browser holds them
AN_IMPORT_STATUS = "annotate-import-status"  # imported lines with text: verified (ground truth) or machine
AN_GOTO = "annotate-goto"  # dcc.Store: {"document", "page", "line"} to open (a link from another tab)
AN_ORDER = "annotate-order"  # dcc.Store: the line ids in reading order (computed in the browser from annotate-lines)
AN_VIEWPORT = "annotate-viewport"  # dcc.Store: the zoom and the drawing tool, kept across redraws
AN_VERIFY_ALL = "annotate-verify-all"  # bulk verification (asks first)
AN_CONV_OPEN = "annotate-conventions"  # the project's writing conventions (normalisation policy)
AN_CONV_MODAL = "annotate-conventions-modal"
AN_CONV_ELISION = "annotate-conventions-elision"
AN_CONV_TELEIA = "annotate-conventions-teleia"
AN_CONV_LUNATE = "annotate-conventions-lunate"
AN_CONV_SAVE = "annotate-conventions-save"
AN_REV = "annotate-rev"  # dcc.Store: bumped to reload the page's lines from the store

ANNOTATE_TAB = "annotate-tab"

# ---- transcribe tab
TRANSCRIBE_TAB = "transcribe-tab"
TR_PAGES = "transcribe-pages"
TR_MODEL = "transcribe-model"
TR_MODE = "transcribe-mode"
TR_PSM = "transcribe-psm"
TR_PREPROCESSED = "transcribe-preprocessed"
TR_RUN = "transcribe-run"
TR_CANCEL = "transcribe-cancel"
TR_PROGRESS = "transcribe-progress"
TR_RUN_STATUS = "transcribe-run-status"
TR_PAGE = "transcribe-page"
TR_GRAPH = "transcribe-graph"
TR_LIST = "transcribe-list"
TR_TITLE = "transcribe-title"
TR_LINE_IMG = "transcribe-line-img"
TR_TEXT = "transcribe-text"
TR_BETA = "transcribe-beta"
TR_VERIFY = "transcribe-verify"
TR_MESSAGE = "transcribe-message"
TR_HISTORY = "transcribe-history"  # who last changed the selected line, its earlier versions (restorable)
TR_HISTORY_CLICK = "transcribe-history-click"  # dcc.Store: a person's click on a version's Restore (assets/relay.js)
TR_HISTORY_RESTORE = "transcribe-history-restore"  # {"type": TR_HISTORY_RESTORE, "rev": n}
TR_SEARCH = "transcribe-search"
TR_SEARCH_RESULTS = "transcribe-search-results"
TR_RUN_PICK = "transcribe-run-pick"
TR_RESUME = "transcribe-resume"  # shown for an interrupted run
TR_COMPARE = "transcribe-compare"  # a second run to compare the chosen one with
TR_RUN_TEXT = "transcribe-run-text"  # what the chosen run(s) read on this page
TR_EVAL = "transcribe-eval"
TR_EXPORTS = "transcribe-exports"
TR_LINES = "transcribe-lines"  # dcc.Store: {"page", "lines": [...]} of the page under review
TR_EDIT_STATE = "transcribe-edit-state"  # hidden, JSON: the line the text field holds (assets/editor.js)
TR_SAVED = "transcribe-saved"  # dcc.Store: a save the editor made, set by assets/editor.js
TR_CURRENT = "transcribe-current"  # dcc.Store: the selected line and the review queue (computed in the browser)
TR_EDITOR_BOX = "transcribe-editor-box"  # the editor's messages (assets/editor.js)
TR_SELECTED = "transcribe-selected"  # dcc.Store: line id
TR_REV = "transcribe-rev"  # dcc.Store: bumped after a run to reload

# ---- train tab
TRAIN_TAB = "train-tab"
TN_DOCUMENTS = "train-documents"
TN_MODE = "train-mode"  # fine-tune or scratch
TN_BASE = "train-base"
TN_NETWORK = "train-network"
TN_NAME = "train-name"
TN_ITERATIONS = "train-iterations"
TN_MINUTES = "train-minutes"
TN_RATE = "train-rate"
TN_COMPARE = "train-compare"  # documents of the second evaluation set
TN_INTEGER = "train-integer"
TN_SCRIPT = "train-script"  # only the lines of one script
TN_SUMMARY = "train-summary"  # what the ground truth holds, before starting
TN_EDITED = "train-edited"  # also train on edited (not confirmed) lines
TN_UNIFY = "train-unify"  # write the ground truth the project's way (one elision mark, ...)
TN_UNIFY_STATUS = "train-unify-status"
TN_MATERIAL = "train-material"  # the project's pages: print or manuscript (sets the defaults below it)
TN_AUGMENT = "train-augment"  # augmented copies per training line ("auto": by the number of lines)
TN_NEW_TOP = "train-new-top"  # replace the base's top layers
TN_FINAL_PASS = "train-final-pass"  # once the held-out optimum is known, train again on all lines
TN_COMPARE_BASES = "train-compare-bases"  # read the held-out lines with every candidate base
TN_COMPARE_PROGRESS = "train-compare-progress"
TN_BASE_TABLE = "train-base-table"
TN_OPEN_LINE = "train-open-line"  # pattern id: a held-out line, opened in the Annotate tab
TN_START = "train-start"
TN_STOP = "train-stop"
TN_CANCEL = "train-cancel"
TN_PROGRESS = "train-progress"
TN_CURVE = "train-curve"
TN_STATUS = "train-status"
TN_JOB = "train-job"  # dcc.Store: the job shown (curve, stop and cancel buttons)
TN_RUN = "train-run"  # dcc.Store: {"job": id, "at": ms}: set to run (or resume) a job in the background
TN_TICK = "train-tick"  # dcc.Interval: redraws the curve and the jobs from disk
TN_CURVE_STAMP = "train-curve-stamp"  # dcc.Store: size of the job's logs when last drawn
TN_JOBS = "train-jobs"
TN_JOB_CLICK = "train-job-click"  # dcc.Store: a person's click on a job row's button (assets/relay.js)
TN_SHOW = "train-show"  # a job row's buttons: show its curve, resume, stop keeping the best, discard
TN_RESUME = "train-resume"
TN_STOP_JOB = "train-stop-job"
TN_DISCARD = "train-discard"
TN_MODELS = "train-models"
TN_MODELS_REV = "train-models-rev"
TN_EVAL_MODEL = "train-eval-model"
TN_EVAL = "train-eval"
TN_MANAGE_STATUS = "train-manage-status"
TN_RENAME_NAME = "train-rename-name"
TN_RENAME = "train-rename"
TN_DELETE = "train-delete"
TN_IMPORT = "train-import"  # drop zone: a .traineddata streamed to /api/models/<project>/import
TN_IMPORT_SPEC = "train-import-spec"
TN_IMPORT_PROGRESS = "train-import-progress"
TN_IMPORT_RESULT = "train-import-result"  # dcc.Store, set by assets/upload.js
TN_IMPORT_NAME = "train-import-name"
TN_SOURCE = "train-source"  # configured download
TN_DOWNLOAD_NAME = "train-download-name"
TN_DOWNLOAD = "train-download"
TN_DOWNLOAD_PROGRESS = "train-download-progress"

# ---- dict ids (pattern matching)
PAGE_MOVE = "upload-page-move"
PAGE_DELETE = "upload-page-delete"
PP_PARAM = "preprocess-param"
PP_STEP_ON = "preprocess-step-on"
PP_STEP_ACTION = "preprocess-step-action"
AN_ROW = "annotate-row"
AN_ROW_BADGE = "annotate-row-badge"  # a row's status badge (updated in the browser after a save)
AN_ROW_TEXT = "annotate-row-text"  # a row's text
AN_REGION_ACTION = "annotate-region-action"  # a region row's buttons: earlier, later, delete, select
AN_REGION_TYPE = "annotate-region-type"  # a region row's type choice
AN_REGION_SUBTYPE = "annotate-region-subtype"  # a region row's subtype field
TR_ROW = "transcribe-row"
TR_HIT = "transcribe-hit"


def page_move(page_id: str, step: int) -> dict[str, object]:
    return {"type": PAGE_MOVE, "page": page_id, "step": step}


def page_delete(page_id: str) -> dict[str, str]:
    return {"type": PAGE_DELETE, "page": page_id}


def pp_param(index: int, name: str) -> dict[str, object]:
    return {"type": PP_PARAM, "index": index, "param": name}


def pp_step_on(index: int) -> dict[str, object]:
    return {"type": PP_STEP_ON, "index": index}


def pp_step_action(index: int, action: str) -> dict[str, object]:
    return {"type": PP_STEP_ACTION, "index": index, "action": action}


def an_row(line_id: str) -> dict[str, str]:
    return {"type": AN_ROW, "line": line_id}


def an_row_part(kind: str, line_id: str) -> dict[str, str]:
    return {"type": kind, "line": line_id}


def an_region_action(region_id: str, action: str) -> dict[str, str]:
    return {"type": AN_REGION_ACTION, "region": region_id, "action": action}


def an_region_field(kind: str, region_id: str) -> dict[str, str]:
    return {"type": kind, "region": region_id}


def tr_row(line_id: str) -> dict[str, str]:
    return {"type": TR_ROW, "line": line_id}


def tr_hit(page_id: str, line_id: str) -> dict[str, str]:
    return {"type": TR_HIT, "page": page_id, "line": line_id}


def tn_resume(job_id: str) -> dict[str, str]:
    return {"type": TN_RESUME, "job": job_id}


def tn_show(job_id: str) -> dict[str, str]:
    return {"type": TN_SHOW, "job": job_id}


def tn_stop_job(job_id: str) -> dict[str, str]:
    return {"type": TN_STOP_JOB, "job": job_id}


def tn_discard(job_id: str) -> dict[str, str]:
    return {"type": TN_DISCARD, "job": job_id}


# ---- upload tab: import from a IIIF library
UP_IIIF_URL = "upload-iiif-url"  # the manifest's address
UP_IIIF_READ = "upload-iiif-read"
UP_IIIF_MESSAGE = "upload-iiif-message"  # what Read said (an error, or how many canvases)
UP_IIIF_REV = "upload-iiif-rev"  # dcc.Store: bumped when a manifest is read (the canvases are drawn anew)
UP_IIIF_ABOUT = "upload-iiif-about"  # the remembered manifest: label, canvases, attribution, rights, warnings
UP_IIIF_CANVASES = "upload-iiif-canvases"  # its canvases' thumbnails (through /files/…/iiif/thumb/<n>.jpg)
UP_IIIF_FORM = "upload-iiif-form"  # the import's choices, shown once a manifest is read
UP_IIIF_FIRST = "upload-iiif-first"
UP_IIIF_LAST = "upload-iiif-last"
UP_IIIF_SIZE = "upload-iiif-size"  # "full" or "width"
UP_IIIF_WIDTH = "upload-iiif-width"
UP_IIIF_IMPORT = "upload-iiif-import"
UP_IIIF_PROGRESS = "upload-iiif-progress"
UP_IIIF_STATUS = "upload-iiif-status"  # the canvas being imported
UP_IIIF_RESULT = "upload-iiif-result"  # what the import did: a summary, a line per failed/skipped/warned canvas
UP_IIIF_SOURCE = "upload-iiif-source"  # "From IIIF: …" above the page grid, for a document imported from a manifest
