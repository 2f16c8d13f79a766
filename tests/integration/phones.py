"""pjsua2 soft phones for integration tests: register, call, answer, count the audio they receive.

pjsua2 has one library instance per process, polled from the test's thread (no threads of its own).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pjsua2 as pj

T = TypeVar("T")


class PhoneCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(account, call_id)
        self.state = pj.PJSIP_INV_STATE_NULL
        self.last_status = 0
        # A WAV file the phone plays, over and over, once media is up (a caller speaking a message).
        self.speech: Path | None = None
        self.player: pj.AudioMediaPlayer | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.state = info.state
        self.last_status = info.lastStatusCode

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        if self.speech is None:
            return
        # Keep the CallInfo alive: its media vector dangles once a temporary CallInfo is gone.
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.player = pj.AudioMediaPlayer()
                # Looped: the caller keeps talking until the test hangs up.
                self.player.createPlayer(str(self.speech), 0)
                self.player.startTransmit(self.getAudioMedia(index))

    def press(self, digits: str) -> None:
        """Keypad digits as SIP INFO. (pjsua2's RFC 4733 digits reach Asterisk only on a process's first
        call: later calls lose them, whatever was negotiated.)"""
        parameters = pj.CallSendDtmfParam()
        parameters.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        parameters.digits = digits
        self.sendDtmf(parameters)

    def hang_up(self) -> None:
        if not self.disconnected:
            self.hangup(pj.CallOpParam(True))

    def received_packets(self) -> int:
        """RTP packets received so far on the audio stream (0 before media starts or after it ends)."""
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return 0

    @property
    def disconnected(self) -> bool:
        return bool(self.state == pj.PJSIP_INV_STATE_DISCONNECTED)


class PhoneAccount(pj.Account):  # type: ignore[misc]
    """A registered phone; with auto_answer it answers every call, as an agent's phone set to do so."""

    def __init__(self, auto_answer: bool = False) -> None:
        super().__init__()
        self.registration_status = 0
        self.auto_answer = auto_answer
        self.incoming: list[PhoneCall] = []

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.registration_status = prm.code

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = PhoneCall(self, prm.callId)
        self.incoming.append(call)
        answer = pj.CallOpParam()
        answer.statusCode = 200 if self.auto_answer else 180
        call.answer(answer)


class Phones:
    def __init__(self) -> None:
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        config = pj.EpConfig()
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.userAgent = "cc12348-test-phone"
        self.endpoint.libInit(config)
        transport = pj.TransportConfig()
        transport.port = 0
        transport.boundAddress = "127.0.0.1"
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        self._accounts: list[PhoneAccount] = []
        self._retired: list[PhoneAccount] = []
        self._calls: list[PhoneCall] = []

    def register(
        self, server: str, username: str, password: str, number: str, auto_answer: bool = False
    ) -> PhoneAccount:
        config = pj.AccountConfig()
        config.idUri = f"sip:{number}@127.0.0.1"
        config.regConfig.registrarUri = f"sip:{server}"
        config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        account = PhoneAccount(auto_answer)
        account.create(config)
        self._accounts.append(account)
        self.wait_for(lambda: account.registration_status != 0, 10)
        return account

    def caller(self, username: str, password: str, number: str) -> PhoneAccount:
        """A caller from the public network: no registration, digest credentials, From user = number."""
        config = pj.AccountConfig()
        config.idUri = f"sip:{number}@127.0.0.1"
        config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        account = PhoneAccount()
        account.create(config)
        self._accounts.append(account)
        return account

    def unregister(self, account: PhoneAccount) -> None:
        account.shutdown()
        self._accounts.remove(account)
        # Kept referenced: pjsua2 reuses the account's id, and the destructor of a collected Python
        # account would delete whichever account holds that id by then.
        self._retired.append(account)

    def call(self, account: PhoneAccount, uri: str, speech: Path | None = None) -> PhoneCall:
        call = PhoneCall(account)
        call.speech = speech
        parameters = pj.CallOpParam(True)
        call.makeCall(uri, parameters)
        self._calls.append(call)
        return call

    def wait_for(self, condition: Callable[[], T | None], seconds: float, interval: float = 0.0) -> T:
        """Poll a condition while the phones keep working (they only act when polled)."""
        deadline = time.monotonic() + seconds
        next_check = 0.0
        while True:
            if time.monotonic() >= next_check:
                value = condition()
                if value:
                    return value
                next_check = time.monotonic() + interval
            if time.monotonic() > deadline:
                raise AssertionError(f"phone condition not met within {seconds} s")
            self.endpoint.libHandleEvents(10)

    def idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.endpoint.libHandleEvents(10)

    def close(self) -> None:
        self.endpoint.hangupAllCalls()
        for _ in range(50):
            self.endpoint.libHandleEvents(10)
        for account in self._accounts:
            account.shutdown()
        # A pjsua2 object destroyed after the library aborts the process; tests may still hold some
        # (a failed test's frames), so Python is told not to destroy any that are left.
        self._calls.clear()
        self._accounts.clear()
        gc.collect()
        for leftover in gc.get_objects():
            if isinstance(leftover, pj.Call | pj.Account | pj.AudioMediaPlayer):
                leftover.thisown = False
        self.endpoint.libDestroy()
